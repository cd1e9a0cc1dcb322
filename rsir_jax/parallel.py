"""Data parallelism over the local devices with JAX's own machinery.

One mesh axis, "data". Parameters and optimizer state are replicated on every device; every
batch (training rows, evaluation users, generation sources) is split along its first axis.
The jitted functions are the same on one device and on many: XLA inserts the cross-device
reductions (the mean loss, the metric sums, "is any trajectory still running").

Random numbers do not depend on the layout (JAX's partitionable threefry, on by default), so
one device and N devices train the same model up to float summation order.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def make_mesh(num_devices: int = 0) -> Mesh:
  """A 1-D mesh over the first `num_devices` local devices (0 = all of them)."""
  devices = jax.local_devices()
  if num_devices > len(devices):
    raise ValueError(f"parallel.num_devices={num_devices} but only {len(devices)} "
                     f"{devices[0].platform} device(s) are visible")
  return Mesh(np.array(devices[:num_devices or len(devices)]), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
  """The sharding of parameters and optimizer state: a full copy on every device."""
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """The sharding of a batch: its first axis split over the devices."""
  return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def check_divisible(field: str, size: int, mesh: Mesh) -> None:
  """Raises a clear error when a batch of `size` rows cannot be split evenly."""
  n = mesh.devices.size
  if size % n:
    raise ValueError(f"{field}={size} must be a multiple of the number of devices ({n}); "
                     f"use e.g. {field}={max(n, size - size % n)} or set parallel.num_devices")


def replicate(mesh: Mesh, tree):
  """Places every array of `tree` on every device of `mesh`."""
  return jax.device_put(tree, replicated(mesh))


def shard_batch(mesh: Mesh, *arrays: np.ndarray):
  """Places host arrays on the devices, each split along its first axis."""
  sharding = batch_sharded(mesh)
  placed = tuple(jax.device_put(a, sharding) for a in arrays)
  return placed if len(placed) != 1 else placed[0]
