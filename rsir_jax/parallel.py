"""Data parallelism over devices and hosts with JAX's own machinery.

One mesh axis, "data". Parameters and optimizer state are replicated on every device; every
batch (training rows, evaluation users, generation sources) is split along its first axis.
The jitted functions are the same on one device and on many: XLA inserts the cross-device
reductions (the mean loss, the metric sums, "is any trajectory still running").

Several hosts (`parallel.distributed`): every process runs the same program on the same data
and the same batch plan; `jax.distributed.initialize` joins them, the mesh spans all their
devices, and each process places only its own slice of every batch on its devices (global
arrays built by `jax.make_array_from_callback`). Files are written by process 0 only.

Random numbers do not depend on the layout (JAX's partitionable threefry, on by default), so
one device and N devices train the same model up to float summation order.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from rsir_jax.errors import UserError

DATA_AXIS = "data"


class DeviceError(UserError, ValueError):
  """The config asks for more devices than are visible."""


def initialize(parallel_config) -> None:
  """Joins the processes of a multi-host run (`parallel.distributed`); a no-op otherwise.
  The coordinator fields may stay empty where JAX finds them itself (Cloud TPU VMs)."""
  if not parallel_config.distributed or jax.distributed.is_initialized():
    return
  # Cross-process collectives on CPU (a laptop test, or CPU hosts) go through gloo.
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(
      coordinator_address=parallel_config.coordinator or None,
      num_processes=parallel_config.num_processes or None,
      process_id=parallel_config.process_id if parallel_config.process_id >= 0 else None)


def is_primary() -> bool:
  """True in the process that writes files and logs (process 0)."""
  return jax.process_index() == 0


def sync(name: str) -> None:
  """Waits until every process reaches this point (after process 0 wrote shared files)."""
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)


def make_mesh(num_devices: int = 0) -> Mesh:
  """A 1-D mesh over the first `num_devices` devices (0 = all of them): the local devices in
  a single process, every process's devices in a multi-host run."""
  devices = jax.devices() if jax.process_count() > 1 else jax.local_devices()
  if num_devices > len(devices):
    raise DeviceError(f"parallel.num_devices={num_devices} but only {len(devices)} "
                     f"{devices[0].platform} device(s) are visible")
  return Mesh(np.array(devices[:num_devices or len(devices)]), (DATA_AXIS,))


def settle(mesh: Mesh, x):
  """Waits for `x` when the mesh is several simulated CPU devices (threads of one process),
  else returns at once. Their collectives can deadlock when many steps are queued ahead on
  busy cores (seen: three device threads waiting at an all-reduce for good, the fourth never
  scheduled); one step in flight at a time avoids it. Real accelerators keep dispatching
  ahead."""
  if mesh.devices.size > 1 and mesh.devices.flat[0].platform == "cpu":
    jax.block_until_ready(x)
  return x


def replicated(mesh: Mesh) -> NamedSharding:
  """The sharding of parameters and optimizer state: a full copy on every device."""
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """The sharding of a batch: its first axis split over the devices."""
  return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def stacked_batch_sharded(mesh: Mesh) -> NamedSharding:
  """The sharding of a stack of batches (steps, rows, ...): the rows split over the devices."""
  return NamedSharding(mesh, PartitionSpec(None, DATA_AXIS))


def _global(x, sharding: NamedSharding):
  """A global array with `sharding` from a value every process holds in full."""
  if isinstance(x, jax.Array) and x.sharding == sharding:
    return x
  if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
    impl = jax.random.key_impl(x)
    return jax.random.wrap_key_data(_global(jax.random.key_data(x), sharding), impl=impl)
  host = np.asarray(jax.device_get(x))
  return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def replicate(mesh: Mesh, tree):
  """Places every array of `tree` (PRNG keys included) on every device of `mesh`."""
  if jax.process_count() == 1:
    return jax.device_put(tree, replicated(mesh))
  return jax.tree_util.tree_map(lambda x: _global(x, replicated(mesh)), tree)


def shard_batch(mesh: Mesh, tree, stacked: bool = False):
  """Places the host arrays of `tree` (an array, a tuple, a TrainBatch) on the devices, each
  split along its first axis (its second when `stacked`: a stack of batches). With several
  processes, each holds the whole batch and transfers only its own slice."""
  sharding = stacked_batch_sharded(mesh) if stacked else batch_sharded(mesh)
  if jax.process_count() == 1:
    return jax.device_put(tree, sharding)
  return jax.tree_util.tree_map(lambda a: _global(a, sharding), tree)


def to_host(tree):
  """Host numpy copies of (possibly sharded, possibly multi-host) arrays, whole on every
  process."""
  if jax.process_count() == 1:
    return jax.device_get(tree)
  return jax.tree_util.tree_map(
      lambda x: np.asarray(x) if x.is_fully_replicated
      else np.asarray(multihost_utils.process_allgather(x, tiled=True)), tree)
