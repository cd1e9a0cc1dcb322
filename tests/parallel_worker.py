"""Runs one RSIR round on the tiny dataset with its batches split over N devices and prints
the rounds.json entries. Started by test_parallel.py in fresh processes (the number of
simulated CPU devices is fixed when JAX starts):

  XLA_FLAGS=--xla_force_host_platform_device_count=4 python tests/parallel_worker.py N WORKDIR
  python tests/parallel_worker.py 0 WORKDIR PROCESS_ID NUM_PROCESSES PORT   # one of P hosts

With RSIR_TEST_SMALL_BATCHES=1 the batches hold 8 rows: many short steps.
"""

import json
import os
import sys

import jax

from rsir_jax import parallel
from rsir_jax.run import check as config_check
from rsir_jax.run import rounds
from tests import tiny


def main(num_devices: int, workdir: str, process_id: int = -1, num_processes: int = 0,
         port: int = 0) -> None:
  c = tiny.tiny_rsir_config(rounds=1)
  c.parallel.num_devices = num_devices
  if os.environ.get("RSIR_TEST_SMALL_BATCHES"):
    c.train.batch_size, c.eval.batch_size, c.train.max_epochs = 8, 8, 4
  if num_processes:
    c.parallel.distributed = True
    c.parallel.coordinator = f"localhost:{port}"
    c.parallel.num_processes, c.parallel.process_id = num_processes, process_id
    parallel.initialize(c.parallel)
  setup = tiny.resolve(c)
  entries = rounds.run_rounds(setup, tiny.tiny_data(), workdir)
  c.train.batch_size = 30
  try:
    config_check.check_sizes(c, 50, setup.mesh)
    error = None
  except config_check.ConfigError as e:
    error = str(e)
  print(json.dumps({"devices": jax.device_count(), "processes": jax.process_count(),
                    "mesh": int(setup.mesh.devices.size), "batch_30_error": error,
                    "rounds": entries}))


if __name__ == "__main__":
  main(int(sys.argv[1]), sys.argv[2], *map(int, sys.argv[3:]))
