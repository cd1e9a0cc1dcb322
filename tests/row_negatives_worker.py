"""The per-row negatives' loss and gradients ("row" and "row_from_pool") on one device and
with the batch split over a mesh of all devices (`mesh=...`, which walks each device's rows
in a shard_map), printed as JSON per rule. Started by test_parallel.py in a fresh process,
since the number of simulated CPU devices is fixed when JAX starts:

  XLA_FLAGS=--xla_force_host_platform_device_count=2 python tests/row_negatives_worker.py
"""

import json

import jax
import numpy as np

from rsir_jax import parallel
from rsir_jax.train import losses


def main() -> None:
  mesh = parallel.make_mesh(0)
  rng = np.random.default_rng(0)
  B, L, D, V = 8, 6, 4, 40  # B splits over the devices; some positions have no target
  rows_BxL = rng.integers(0, V + 1, (B, L)).astype(np.int32)
  targets_BxL = np.where(rng.random((B, L)) < 0.7, rng.integers(1, V + 1, (B, L)), 0)
  targets_BxL = targets_BxL.astype(np.int32)
  h_BxLxD = rng.normal(size=(B, L, D)).astype(np.float32)
  table_VxD = rng.normal(size=(V + 1, D)).astype(np.float32)
  key = jax.random.key(3)

  def loss_and_grads(rule, m, h, table, targets, rows):
    # Every array a jit argument, as in the train step (the packing indexes traced arrays).
    loss = lambda h, table, targets, rows: losses.sampled_softmax(
        h, targets, table, key, 5, rule, rows, row_chunk=4, pool_size=16, mesh=m)
    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(h, table, targets, rows)

  split = lambda x: jax.device_put(x, parallel.batch_sharded(mesh))
  out = {"devices": int(mesh.devices.size)}
  for rule in ("row", "row_from_pool"):
    one = loss_and_grads(rule, None, h_BxLxD, table_VxD, targets_BxL, rows_BxL)
    many = loss_and_grads(rule, mesh, split(h_BxLxD), table_VxD, split(targets_BxL),
                          split(rows_BxL))
    diffs = [float(np.abs(np.asarray(a) - np.asarray(b)).max())
             for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(many))]
    out[rule] = {"loss_one": float(one[0]), "loss_mesh": float(many[0]), "max_diffs": diffs}
  print(json.dumps(out))


if __name__ == "__main__":
  main()
