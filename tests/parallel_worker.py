"""Runs one RSIR round on a tiny dataset with its batches split over N devices and prints the
rounds.json entries. Started by test_parallel.py in fresh processes (the number of simulated
CPU devices is fixed when JAX starts):

  XLA_FLAGS=--xla_force_host_platform_device_count=4 python tests/parallel_worker.py N WORKDIR
  python tests/parallel_worker.py 0 WORKDIR PROCESS_ID NUM_PROCESSES PORT   # one of P hosts
"""

import json
import sys

import jax
import numpy as np

from rsir_jax import default_config, parallel, rounds
from rsir_jax.data.split import leave_one_out


def main(num_devices: int, workdir: str, process_id: int = -1, num_processes: int = 0,
         port: int = 0) -> None:
  rng = np.random.default_rng(0)
  seqs = []
  for _ in range(120):
    start, n = rng.integers(1, 40), rng.integers(4, 12)
    seqs.append(((start + np.arange(n) * rng.integers(1, 3)) % 50 + 1).astype(np.int32))
  c = default_config.get_base_config()
  c.model.dim, c.model.num_layers, c.model.max_len = 16, 1, 12
  c.data.bucket_lengths = (4, 8)
  c.train.batch_size, c.train.max_epochs, c.train.patience = 32, 2, 2
  c.eval.batch_size = 64
  c.rsir.rounds, c.rsir.m, c.rsir.tau, c.rsir.chunk_size = 1, 2, 10, 64
  c.parallel.num_devices = num_devices
  if num_processes:
    c.parallel.distributed = True
    c.parallel.coordinator = f"localhost:{port}"
    c.parallel.num_processes, c.parallel.process_id = num_processes, process_id
    parallel.initialize(c.parallel)
  entries = rounds.run_rounds(c, leave_one_out(seqs), workdir)
  mesh = parallel.make_mesh(num_devices)
  try:
    parallel.check_divisible("train.batch_size", 30, mesh)
    error = None
  except ValueError as e:
    error = str(e)
  print(json.dumps({"devices": jax.device_count(), "processes": jax.process_count(),
                    "mesh": int(mesh.devices.size),
                    "batch_30_error": error, "rounds": entries}))


if __name__ == "__main__":
  main(int(sys.argv[1]), sys.argv[2], *map(int, sys.argv[3:]))
