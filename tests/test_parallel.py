"""Data parallelism: one device and four simulated CPU devices give the same RSIR round;
batch sizes that do not split over the devices fail with a clear message."""

import json
import os
import subprocess
import sys

import pytest

from rsir_jax import config_check, default_config, parallel

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_worker(num_devices: int, workdir: str) -> dict:
  env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
         "JAX_PLATFORMS": "cpu", "PYTHONPATH": _ROOT}
  out = subprocess.run([sys.executable, os.path.join(_ROOT, "tests", "parallel_worker.py"),
                        str(num_devices), workdir], env=env, capture_output=True, text=True,
                       timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_and_four_devices_give_the_same_round(tmp_path):
  one = _run_worker(1, str(tmp_path / "one"))
  four = _run_worker(4, str(tmp_path / "four"))
  assert one["devices"] == four["devices"] == 4
  assert (one["mesh"], four["mesh"]) == (1, 4)
  assert one["batch_30_error"] is None
  assert "train.batch_size=30 must be a multiple of the number of devices (4)" in four["batch_30_error"]
  assert len(one["rounds"]) == len(four["rounds"]) == 2
  for a, b in zip(one["rounds"], four["rounds"]):
    assert a["data"] == b["data"]  # the same trajectories were kept
    assert a.get("generation") == b.get("generation")
    for split in ("valid", "test"):
      for k, v in a[split].items():
        assert b[split][k] == pytest.approx(v, abs=1e-6), (a["round"], split, k)


def test_batch_sizes_must_split_over_the_devices():
  mesh = parallel.make_mesh(1)
  parallel.check_divisible("train.batch_size", 7, mesh)  # one device takes anything
  with pytest.raises(ValueError, match="parallel.num_devices=64 but only"):
    parallel.make_mesh(64)
  c = default_config.get_base_config()
  c.parallel.num_devices = 1
  config_check.check_devices(c)
