"""A run's workdir: its default name, the check that it holds this run (and not another
config's), the check of a run whose round 0 is reused, and the lock that keeps a second
process out while a run is going."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import socket
from typing import Iterator

import ml_collections

from rsir_jax import config as config_lib
from rsir_jax import storage
from rsir_jax.config import paths
from rsir_jax.errors import UserError
from rsir_jax.files import bucket_lock
from rsir_jax.files.writer import read_json

# Fields that change how a run is executed but not what it computes: they may differ when a
# run is resumed.
EXECUTION_ONLY = ("train.stop_after_steps", "train.log_every_steps",
                  "train.checkpoint_every_steps", "train.negatives_chunk", "train.steps_per_call",
                  "rsir.chunk_size", "rsir.slots",
                  "eval.test_each_epoch", "eval.also_unmasked")
# Fields added after runs were hashed into default workdirs, with the value those runs
# computed with: at that value a field is left out of the hash and the comparison, so that
# `launch.py` without --workdir finds an older run's folder again.
ADDED_WITH_DEFAULT = {"train.negatives_pool": 2048}
LOCK_FILE = ".lock"


class WorkdirError(UserError):
  """The workdir holds another run, or is in use by another process."""


def comparable(config_dict: dict) -> dict:
  """The flat {field: value} of a config that decides what a run computes (JSON-normalised:
  tuples become lists)."""
  flat = paths.flat(json.loads(json.dumps(config_dict)))
  return {k: v for k, v in flat.items() if k not in EXECUTION_ONLY
          and not (k in ADDED_WITH_DEFAULT and v == ADDED_WITH_DEFAULT[k])}


def _as_dict(config) -> dict:
  return config.to_dict() if hasattr(config, "to_dict") else config


def default_workdir(config: ml_collections.ConfigDict) -> str:
  """runs/<dataset>_<loss>_s<seed>_<hash of the config>: the same command always maps to the
  same folder (so rerunning it resumes), a changed setting to a new one."""
  digest = hashlib.sha1(json.dumps(comparable(config.to_dict()), sort_keys=True).encode())
  dataset = config.data.name or os.path.basename(config.data.path).split(".")[0]
  name = f"{dataset}_{config.train.loss}_s{config.seed}_{digest.hexdigest()[:8]}"
  return os.path.join("runs", name)


def is_finished(run_dir: str) -> bool:
  """Whether the run in `run_dir` finished: it writes results.json last (an RSIR run's
  rounds so far are in rounds.json)."""
  return storage.exists(storage.join(run_dir, "results.json"))


def config_differences(old: dict, new: dict, ignore=lambda field: False) -> list[str]:
  """'field: old -> new' for every field that differs between two config dicts. A field the
  old one lacks (added to the code after that run started) matches when the new one holds
  its default: the old run computed exactly that."""
  old, new = comparable(old), comparable(new)
  defaults = comparable(config_lib.get_base_config().to_dict())
  diffs = [f"{k}: {old.get(k)!r} -> {v!r}" for k, v in sorted(new.items())
           if not ignore(k) and (old[k] != v if k in old else defaults.get(k, v) != v)]
  diffs += [f"{k}: {old[k]!r} -> (not in this version)" for k in sorted(old)
            if k not in new and not ignore(k)]
  return diffs


def read_config(run_dir: str) -> ml_collections.ConfigDict:
  """The config of the finished or running run in `run_dir` (its config.json), over the
  defaults of this version for fields the run predates."""
  path = storage.join(run_dir, "config.json")
  if not storage.exists(path):
    raise WorkdirError(f"{run_dir} holds no run (no config.json)")
  config = config_lib.get_base_config()
  config.update(read_json(path))
  return config


def check_same_run(workdir: str, config) -> None:
  """Refuses to resume a workdir that holds a run of a different config. The number of RSIR
  rounds may change (round k does not depend on how many follow it), so a finished run can
  be continued with more rounds; a baseline cannot become an RSIR run or back."""
  path = storage.join(workdir, "config.json")
  if not storage.exists(path):
    return
  old, new = read_json(path), _as_dict(config)
  both_rsir = old.get("rsir", {}).get("rounds", 0) > 0 and new["rsir"]["rounds"] > 0
  diffs = config_differences(old, new, lambda k: both_rsir and k == "rsir.rounds")
  if diffs:
    raise WorkdirError(f"{workdir} holds a run with a different config ({'; '.join(diffs)}); "
                       "use another --workdir")


def check_round0_source(config, source: str) -> None:
  """Raises WorkdirError unless `source` holds a run whose round 0 is this config's: the same
  value in every field outside the rsir section."""
  path = storage.join(source, "config.json")
  if not storage.exists(path):
    raise WorkdirError(f"rsir.round0_dir: {source} holds no run (no config.json)")
  diffs = config_differences(read_json(path), _as_dict(config), lambda k: k.startswith("rsir."))
  if diffs:
    raise WorkdirError(f"rsir.round0_dir: {source} trained a different round 0 "
                       f"({'; '.join(diffs)})")


@contextlib.contextmanager
def locked(workdir: str, primary: bool = True) -> Iterator[None]:
  """Holds `workdir`'s lock for the duration of the block, so that a second process on the
  same workdir stops at once, naming the process that holds it. The operating system drops
  the lock when its process ends, however it ends, so a killed run never leaves a stale
  lock. In a multi-host run only process 0 takes it. On a bucket, which has no `fcntl`, the
  lock is a claim made by exclusive create and kept alive by a heartbeat (bucket_lock.py)."""
  if not primary:
    yield
    return
  if storage.is_remote(workdir):
    lock = bucket_lock.BucketLock(workdir)
    holder = lock.acquire()
    if holder is not None:
      raise WorkdirError(f"{workdir} is in use by {holder}; wait for it to finish or stop "
                         "it, or use another --workdir")
    try:
      yield
    finally:
      lock.release()
    return
  os.makedirs(workdir, exist_ok=True)
  fd = os.open(os.path.join(workdir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = os.pread(fd, 1000, 0).decode(errors="replace").strip() or "another process"
      raise WorkdirError(f"{workdir} is in use by {holder}; wait for it to finish or stop "
                         "it, or use another --workdir") from None
    os.ftruncate(fd, 0)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()} (since {started})".encode(), 0)
    yield
  finally:
    os.close(fd)  # releases the lock
