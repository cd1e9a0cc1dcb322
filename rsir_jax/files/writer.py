"""Run files: atomic writes by process 0 only, and a clear error when the disk is full.

Every file a run writes (JSON, JSON lines, CSV, NPZ, plots) goes through a `Writer`: the bytes
go to a temporary file beside the target, which is then renamed over it, so a crash never
leaves half a file. In a multi-host run only process 0 writes (the other processes hold the
same values).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import shutil
from typing import Any, Iterator, Sequence

import numpy as np

from rsir_jax.errors import UserError


class DiskFullError(UserError):
  """There is not enough free space to write a run's file or checkpoint."""


def _mb(num_bytes: float) -> str:
  return f"{num_bytes / 2**20:,.1f} MB"


def check_free_space(path: str, needed_bytes: int) -> None:
  """Raises DiskFullError when the file system holding `path` has less than `needed_bytes`
  free."""
  folder = os.path.abspath(path)
  while not os.path.exists(folder):
    folder = os.path.dirname(folder)
  free = shutil.disk_usage(folder).free
  if free < needed_bytes:
    raise DiskFullError(f"{path}: needs about {_mb(needed_bytes)} but only {_mb(free)} is free "
                        "on its disk; free some space and rerun the same command to resume")


@contextlib.contextmanager
def disk_full_is_clear(path: str, size_hint: int = 0) -> Iterator[None]:
  """Turns 'no space left on device' inside the block into one DiskFullError line."""
  try:
    yield
  except OSError as e:
    if e.errno not in (errno.ENOSPC, errno.EDQUOT):
      raise
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    need = f"about {_mb(size_hint)}" if size_hint else "more space"
    raise DiskFullError(f"{path}: no space left on device (needs {need}, {_mb(free)} free); "
                        "free some space and rerun the same command to resume") from None


class Writer:
  """Atomic file writes (creating missing parent folders); a no-op in every process but the
  primary one."""

  def __init__(self, primary: bool = True):
    self.primary = primary

  def _atomic(self, path: str, write, suffix: str = "") -> None:
    if not self.primary:
      return
    tmp = f"{path}.tmp{suffix}"
    with disk_full_is_clear(path):
      os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
      try:
        write(tmp)
        os.replace(tmp, path)
      finally:
        if os.path.exists(tmp):
          os.remove(tmp)

  def text(self, path: str, text: str) -> None:
    """Writes `text` to `path`."""
    def write(tmp):
      with open(tmp, "w") as f:
        f.write(text)
    self._atomic(path, write)

  def json(self, path: str, obj: Any) -> None:
    """Writes `obj` as indented JSON."""
    self.text(path, json.dumps(obj, indent=2) + "\n")

  def jsonl(self, path: str, rows: Sequence[dict]) -> None:
    """Writes one JSON object per line."""
    self.text(path, "".join(json.dumps(r) + "\n" for r in rows))

  def append_jsonl(self, path: str, row: dict) -> None:
    """Appends one line and syncs it to disk (a crash keeps every earlier line whole)."""
    if not self.primary:
      return
    with disk_full_is_clear(path), open(path, "a") as f:
      f.write(json.dumps(row) + "\n")
      f.flush()
      os.fsync(f.fileno())

  def csv(self, path: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Writes a header line and one line per row."""
    def write(tmp):
      with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)
    self._atomic(path, write)

  def npz(self, path: str, **arrays: np.ndarray) -> None:
    """Writes numpy arrays as an uncompressed .npz."""
    self._atomic(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")

  def figure(self, path: str, fig) -> None:
    """Saves a matplotlib figure (the format follows the extension of `path`)."""
    ext = os.path.splitext(path)[1]
    self._atomic(path, lambda tmp: fig.savefig(tmp, dpi=120), suffix=ext)


def read_json(path: str) -> Any:
  """The JSON object stored at `path`."""
  with open(path) as f:
    return json.load(f)
