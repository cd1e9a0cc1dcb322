"""Runs one RSIR round on a tiny dataset with its batches split over N devices and prints the
rounds.json entries. Started by test_parallel.py in fresh processes (the number of simulated
CPU devices is fixed when JAX starts):

  XLA_FLAGS=--xla_force_host_platform_device_count=4 python tests/parallel_worker.py N WORKDIR
  python tests/parallel_worker.py 0 WORKDIR PROCESS_ID NUM_PROCESSES PORT   # one of P hosts
"""

import json
import sys

import jax

from rsir_jax import parallel, rounds
from tests.test_rounds import _config, _split


def main(num_devices: int, workdir: str, process_id: int = -1, num_processes: int = 0,
         port: int = 0) -> None:
  c = _config(rounds=1)  # the tiny round of test_rounds.py
  c.parallel.num_devices = num_devices
  if num_processes:
    c.parallel.distributed = True
    c.parallel.coordinator = f"localhost:{port}"
    c.parallel.num_processes, c.parallel.process_id = num_processes, process_id
    parallel.initialize(c.parallel)
  entries = rounds.run_rounds(c, _split(), workdir)
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
