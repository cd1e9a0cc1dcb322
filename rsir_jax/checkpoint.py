"""Orbax checkpoints of a training run: the array state plus a small JSON of loop bookkeeping.

A checkpoint is written only at points where the run could continue from it exactly (end of an
epoch, or every N steps inside one). Orbax writes asynchronously and commits a step atomically
(a step directory without its commit marker is ignored on restore), so a crash mid-save loses
only that save, never the previous one.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


class RunCheckpoints:
  """Saves and restores {"state": pytree, "meta": json dict} under `directory`."""

  def __init__(self, directory: str, max_to_keep: int = 2):
    self._manager = ocp.CheckpointManager(
        os.path.abspath(directory),
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
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(host_state), meta=ocp.args.JsonSave(meta)), force=True)

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
    self._manager.wait_until_finished()

  def close(self) -> None:
    """Waits for pending saves and releases the manager."""
    self._manager.wait_until_finished()
    self._manager.close()
