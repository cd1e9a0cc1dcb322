"""The workdir lock on a bucket, where `fcntl` does not reach: numbered claims made by
exclusive create, kept alive by a heartbeat.

  <workdir>/.lock/<n>.json       claim n: host, pid, start time (created once, exclusively)
  <workdir>/.lock/<n>.alive      its heartbeat: the holder rewrites the time every HEARTBEAT_S
  <workdir>/.lock/<n>.released   written by the holder when it ends normally

The lock is held by the newest claim unless that claim is released or stale. A claim is
stale when its heartbeat is older than STALE_S, or at once when it was made on this host by
a process that no longer runs (a run killed and rerun on the same machine goes on without
waiting). To take the lock a process creates claim n + 1 with the precondition that nothing
is there (storage.create_exclusive): of two processes that both find claim n released or
stale, exactly one creates n + 1, and the other then finds that claim live and stops. Claims
are never deleted or overwritten, so no write can undo another process's claim. A live run
whose heartbeat stops for STALE_S (a host frozen that long) can lose the lock to a new run;
at its next heartbeat it sees the newer claim and exits at once rather than write beside it.
A claim that has missed two heartbeats (a run preempted on another machine) is waited for
until it is stale, so the same command restarted elsewhere goes on by itself.
Heartbeat times are the hosts' clocks (kept by NTP on Cloud VMs); STALE_S is minutes, far
above their skew.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
import threading
import time

from rsir_jax import storage

HEARTBEAT_S = 30.0
STALE_S = 300.0
LOCK_FOLDER = ".lock"


def _claims(folder: str) -> list[int]:
  return sorted(int(n[:-5]) for n in storage.listdir(folder)
                if n.endswith(".json") and n[:-5].isdigit())


def _pid_running(pid: int) -> bool:
  try:
    os.kill(pid, 0)  # PermissionError: someone else's process, running
  except ProcessLookupError:
    return False
  except PermissionError:
    pass
  return True


def _read_json(path: str) -> dict | None:
  try:
    return json.loads(storage.read_text(path))
  except (FileNotFoundError, ValueError):
    return None


class BucketLock:
  """Holds the lock of a workdir on a bucket from `acquire()` to `release()`."""

  def __init__(self, workdir: str, stale_s: float = STALE_S, heartbeat_s: float = HEARTBEAT_S):
    self.folder = storage.join(workdir, LOCK_FOLDER)
    self.stale_s, self.heartbeat_s = stale_s, heartbeat_s
    self.claim: int | None = None
    self._stop = threading.Event()
    self._thread: threading.Thread | None = None

  def _path(self, n: int, ext: str) -> str:
    return storage.join(self.folder, f"{n:06d}.{ext}")

  def _state(self, n: int) -> tuple[str | None, float]:
    """(who holds claim n, or None when it is released or stale; its heartbeat's age in s)."""
    if storage.exists(self._path(n, "released")):
      return None, 0.0
    info = _read_json(self._path(n, "json")) or {}
    alive = _read_json(self._path(n, "alive")) or {}
    age = time.time() - float(alive.get("time", info.get("time", 0.0)))
    if info.get("host") == socket.gethostname() and not _pid_running(int(info.get("pid", -1))):
      return None, age  # its process on this host is gone
    if age > self.stale_s:
      return None, age
    return (f"process {info.get('pid')} on {info.get('host')} (since {info.get('started')}, "
            f"heartbeat {age:.0f} s ago; a claim silent for {self.stale_s:.0f} s is taken "
            "over)"), age

  def acquire(self, wait_silent: bool = True) -> str | None:
    """Takes the lock and starts the heartbeat: None on success, else who holds it. A claim
    whose heartbeat has missed two beats (a run preempted or killed on another machine) is
    waited for until it is stale, with `wait_silent`; a live one is refused at once."""
    for _ in range(5):  # a lost race is retried from a fresh listing
      claims = _claims(self.folder)
      if claims:
        who, age = self._state(claims[-1])
        if who is not None and wait_silent and age > 2 * self.heartbeat_s:
          sys.stderr.write(f"{self.folder}: the last run's heartbeat is {age:.0f} s old; "
                           f"waiting {self.stale_s - age:.0f} s for its claim to go stale\n")
          time.sleep(max(0.0, self.stale_s - age) + 1.0)
          who, age = self._state(claims[-1])
        if who is not None:
          return who
      n = claims[-1] + 1 if claims else 1
      body = {"host": socket.gethostname(), "pid": os.getpid(), "time": time.time(),
              "started": datetime.datetime.now().isoformat(timespec="seconds")}
      if storage.create_exclusive(self._path(n, "json"), json.dumps(body).encode()):
        self.claim = n
        self._beat()
        self._thread = threading.Thread(target=self._heartbeat, daemon=True,
                                        name="workdir-lock-heartbeat")
        self._thread.start()
        return None
    return (self._state(_claims(self.folder)[-1])[0]
            or "another process (the lock kept changing hands)")

  def _beat(self) -> None:
    storage.write_bytes(self._path(self.claim, "alive"),
                        json.dumps({"time": time.time()}).encode())

  def _heartbeat(self) -> None:
    while not self._stop.wait(self.heartbeat_s):
      try:
        newest = _claims(self.folder)[-1]
        if newest != self.claim:
          sys.stderr.write(f"{self.folder}: this run's claim {self.claim} was taken over by "
                           f"claim {newest} (its heartbeat was silent for over "
                           f"{self.stale_s:.0f} s); exiting so that two runs never write "
                           "the same workdir\n")
          sys.stderr.flush()
          os._exit(75)  # pylint: disable=protected-access  (no cleanup may write the workdir)
        self._beat()
      except Exception as e:  # pylint: disable=broad-except  (a failed beat is retried)
        sys.stderr.write(f"{self.folder}: heartbeat failed ({type(e).__name__}: {e}); "
                         "retrying\n")

  def release(self) -> None:
    """Stops the heartbeat and marks the claim released."""
    if self.claim is None:
      return
    self._stop.set()
    if self._thread is not None:
      self._thread.join()
    storage.write_bytes(self._path(self.claim, "released"), b"{}")
    self.claim = None
