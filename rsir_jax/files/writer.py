"""Run files: atomic writes by process 0 only, and a clear error when the disk is full.

Every file a run writes (JSON, JSON lines, CSV, NPZ, plots) goes through a `Writer`: its
bytes are built in memory and written in one atomic step (storage.write_bytes: a rename over
the target on a local disk, one upload on a bucket), so a crash never leaves half a file. In
a multi-host run only process 0 writes (the other processes hold the same values).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from typing import Any, Iterator, Sequence

import numpy as np

from rsir_jax import storage
from rsir_jax.errors import UserError


class DiskFullError(UserError):
  """There is not enough free space to write a run's file or checkpoint."""


def _mb(num_bytes: float) -> str:
  return f"{num_bytes / 2**20:,.1f} MB"


def check_free_space(path: str, needed_bytes: int) -> None:
  """Raises DiskFullError when the file system holding `path` has less than `needed_bytes`
  free (never for a bucket)."""
  free = storage.free_bytes(path)
  if free is not None and free < needed_bytes:
    raise DiskFullError(f"{path}: needs about {_mb(needed_bytes)} but only {_mb(free)} is free "
                        "on its disk; free some space and rerun the same command to resume")


@contextlib.contextmanager
def disk_full_is_clear(path: str, size_hint: int = 0) -> Iterator[None]:
  """Turns 'no space left on device' inside the block into one DiskFullError line."""
  try:
    yield
  except OSError as e:
    if not storage.is_disk_full(e):
      raise
    free = storage.free_bytes(os.path.dirname(storage.absolute(path)))
    need = f"about {_mb(size_hint)}" if size_hint else "more space"
    raise DiskFullError(f"{path}: no space left on device (needs {need}, {_mb(free or 0)} "
                        "free); free some space and rerun the same command to resume") from None


class Writer:
  """Atomic file writes (creating missing parent folders); a no-op in every process but the
  primary one."""

  def __init__(self, primary: bool = True):
    self.primary = primary

  def raw(self, path: str, data: bytes) -> None:
    """Writes `data` to `path`."""
    if self.primary:
      with disk_full_is_clear(path, len(data)):
        storage.write_bytes(path, data)

  def text(self, path: str, text: str) -> None:
    """Writes `text` to `path`."""
    self.raw(path, text.encode())

  def json(self, path: str, obj: Any) -> None:
    """Writes `obj` as indented JSON."""
    self.text(path, json.dumps(obj, indent=2) + "\n")

  def jsonl(self, path: str, rows: Sequence[dict]) -> None:
    """Writes one JSON object per line."""
    self.text(path, "".join(json.dumps(r) + "\n" for r in rows))

  def append_jsonl(self, path: str, row: dict) -> None:
    """Appends one line, durably (a crash keeps every earlier line whole; storage.append_line
    says how on a bucket, which cannot append)."""
    if self.primary:
      with disk_full_is_clear(path):
        storage.append_line(path, json.dumps(row) + "\n")

  def csv(self, path: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Writes a header line and one line per row."""
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(columns)
    w.writerows(rows)
    self.text(path, out.getvalue())

  def npz(self, path: str, compressed: bool = False, **arrays: np.ndarray) -> None:
    """Writes numpy arrays as an .npz (zip-deflated with `compressed`; np.load reads both)."""
    if self.primary:
      out = io.BytesIO()
      (np.savez_compressed if compressed else np.savez)(out, **arrays)
      self.raw(path, out.getvalue())

  def figure(self, path: str, fig) -> None:
    """Saves a matplotlib figure (the format follows the extension of `path`)."""
    if self.primary:
      out = io.BytesIO()
      fig.savefig(out, dpi=120, format=os.path.splitext(path)[1].lstrip(".") or "png")
      self.raw(path, out.getvalue())


def read_json(path: str) -> Any:
  """The JSON object stored at `path` (a local path or a gs:// URL)."""
  return json.loads(storage.read_text(path))
