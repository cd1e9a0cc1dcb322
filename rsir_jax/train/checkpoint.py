"""Orbax checkpoints of a training run: the array state plus a small JSON of loop bookkeeping.

A checkpoint is written only at points where the run could continue from it exactly (end of an
epoch, or every N steps inside one). Orbax writes asynchronously and commits a step atomically
(a step directory without its commit marker is ignored on restore), so a crash mid-save loses
only that save, never the previous one. Before each save a local disk's free space is
checked against the state's size, and a full disk during a save ends in one DiskFullError
line. A gs:// directory works the same way (Orbax writes it through etils.epath and
TensorStore's GCS driver).
"""

from __future__ import annotations

import contextlib
from typing import Any

import jax
import orbax.checkpoint as ocp

from rsir_jax import storage
from rsir_jax.files import writer

_DISK_FULL_SIGNS = ("No space left", "RESOURCE_EXHAUSTED", "Disk quota exceeded")


@contextlib.contextmanager
def _disk_full_is_clear(directory: str, size_hint: int):
  """Turns Orbax's errors about a full disk (raised now or by an earlier asynchronous save)
  into one DiskFullError."""
  try:
    with writer.disk_full_is_clear(directory, size_hint):
      yield
  except writer.DiskFullError:
    raise
  except Exception as e:  # Orbax wraps the OS error in its own types
    if not any(sign in str(e) for sign in _DISK_FULL_SIGNS):
      raise
    writer.check_free_space(directory, size_hint)  # says how much is free
    raise writer.DiskFullError(f"{directory}: no space left on device while saving a "
                              f"checkpoint of about {size_hint / 2**20:,.1f} MB") from None


def has_checkpoint(directory: str) -> bool:
  """Whether `directory` holds a committed checkpoint (a step Orbax would restore)."""
  if not storage.isdir(directory):
    return False
  manager = ocp.CheckpointManager(storage.absolute(directory),
                                  options=ocp.CheckpointManagerOptions(create=False))
  try:
    return manager.latest_step() is not None
  finally:
    manager.close()


class RunCheckpoints:
  """Saves and restores {"state": pytree, "meta": json dict} under `directory`."""

  def __init__(self, directory: str, max_to_keep: int = 2):
    self.directory = storage.absolute(directory)  # Orbax wants an absolute path or a URL
    self._last_size = 0
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True))

  def latest_step(self) -> int | None:
    """Step of the newest committed checkpoint, or None."""
    return self._manager.latest_step()

  def save(self, step: int, state: Any, meta: dict) -> None:
    """Starts an asynchronous save; returns before the bytes are on disk.

    The state is copied to host memory first: the caller's device buffers are donated to
    the next train step and may be gone before the background write reads them.
    """
    host_state = jax.device_get(state)
    self._last_size = sum(x.nbytes for x in jax.tree_util.tree_leaves(host_state))
    try:
      with _disk_full_is_clear(self.directory, self._last_size):
        # The new step is written before the oldest kept one is deleted.
        writer.check_free_space(self.directory, int(self._last_size * 1.2) + (64 << 10))
        self._manager.save(step, args=ocp.args.Composite(
            state=ocp.args.StandardSave(host_state), meta=ocp.args.JsonSave(meta)), force=True)
    except writer.DiskFullError:
      self._abandon()
      raise

  def restore(self, like_state: Any, step: int | None = None) -> tuple[Any, dict]:
    """(state, meta) of `step` (default: the latest), with the structure, shapes and dtypes
    of `like_state`."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise FileNotFoundError("no checkpoint to restore")
    abstract = jax.tree_util.tree_map(ocp.utils.to_shape_dtype_struct, like_state)
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract), meta=ocp.args.JsonRestore()))
    return restored.state, dict(restored.meta)

  def wait(self) -> None:
    """Blocks until every pending save is durable."""
    with _disk_full_is_clear(self.directory, self._last_size):
      self._manager.wait_until_finished()

  def _abandon(self) -> None:
    """Lets an earlier save in flight finish (or fail) quietly, then releases the manager,
    so that the process can exit with one clear error."""
    try:
      self._manager.wait_until_finished()
    except Exception:  # the error being raised already says what went wrong
      pass
    self._manager.close()

  def close(self) -> None:
    """Waits for pending saves and releases the manager."""
    try:
      self.wait()
    finally:
      self._manager.close()
