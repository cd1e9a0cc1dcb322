"""Data parallelism: one device, four simulated CPU devices (also on busy cores), and two
processes joined over loopback (JAX's CPU collectives) give the same RSIR round."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from rsir_jax import storage

pytestmark = pytest.mark.slow  # every test starts subprocesses
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _worker(args, devices: int = 4, script: str = "parallel_worker.py",
            **env_vars) -> subprocess.Popen:
  flags = os.environ.get("XLA_FLAGS", "")  # conftest's compiler flags, kept
  env = {**os.environ, "XLA_FLAGS": f"{flags} --xla_force_host_platform_device_count={devices}",
         "JAX_PLATFORMS": "cpu", "PYTHONPATH": _ROOT, **env_vars}
  return subprocess.Popen([sys.executable, os.path.join(_ROOT, "tests", script),
                           *map(str, args)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, timeout: int = 900) -> dict:
  try:
    out, err = proc.communicate(timeout=timeout)
  except subprocess.TimeoutExpired:
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"the worker hung for {timeout} s: {err[-2000:]}")
  assert proc.returncode == 0, err[-3000:]
  return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def one_and_four(tmp_path_factory):
  """The round on one and on four of four simulated devices, run side by side; the
  one-device run is also the reference of the two-process test."""
  folder = tmp_path_factory.mktemp("devices")
  procs = {n: _worker([n, str(folder / f"devices_{n}")]) for n in (1, 4)}
  return {n: _result(p) for n, p in procs.items()}


def _assert_same_rounds(a_rounds, b_rounds):
  assert len(a_rounds) == len(b_rounds) == 2
  for a, b in zip(a_rounds, b_rounds):
    assert a["data"] == b["data"]  # the same trajectories were kept
    assert a.get("generation") == b.get("generation")
    for split in ("valid", "test"):
      for k, v in a[split].items():
        assert b[split][k] == pytest.approx(v, abs=1e-6), (a["round"], split, k)


def test_one_and_four_devices_give_the_same_round(one_and_four):
  one, four = one_and_four[1], one_and_four[4]
  assert one["devices"] == four["devices"] == 4
  assert (one["mesh"], four["mesh"]) == (1, 4)
  assert one["batch_30_error"] is None
  assert ("train.batch_size=30: must be a multiple of the number of devices (4)"
          in four["batch_30_error"])
  _assert_same_rounds(one["rounds"], four["rounds"])


def test_four_simulated_devices_on_busy_cores_finish(tmp_path):
  """Four CPU devices are threads of one process; with the cores busy and many short steps
  queued ahead, their collectives deadlocked (three threads waiting at an all-gather for good;
  XLA aborted the process after 40 s). parallel.settle keeps one step in flight there. That
  four devices give one device's round is test_one_and_four_devices_give_the_same_round's
  check; this one asks that the round finishes, whole."""
  busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
          for _ in range(2 * (os.cpu_count() or 2))]
  try:
    four = _result(_worker([4, str(tmp_path / "four")], RSIR_TEST_SMALL_BATCHES="1"), timeout=400)
  finally:
    for p in busy:
      p.kill()
  assert (four["devices"], four["mesh"]) == (4, 4)
  assert [e["round"] for e in four["rounds"]] == [0, 1]
  assert four["rounds"][0]["generation"]["trajectories"] > 0
  for e in four["rounds"]:
    assert 1 <= e["best_epoch"] <= 4  # the small-batch runs train 4 epochs
    assert all(np.isfinite(v) for v in e["test"].values())


def test_row_negatives_split_over_devices_match_one_device():
  """Per-row negatives ("row", "row_from_pool") under a mesh: each device walks its own rows'
  positions (a shard_map; under plain jit every device ran the whole loop), and each position
  keeps its draw, so the loss and both gradients are one device's, up to the order of the
  table gradient's sums."""
  r = _result(_worker([], devices=2, script="row_negatives_worker.py"), timeout=300)
  assert r["devices"] == 2
  for rule in ("row", "row_from_pool"):
    assert r[rule]["loss_mesh"] == pytest.approx(r[rule]["loss_one"], rel=1e-6), rule
    assert len(r[rule]["max_diffs"]) == 3 and max(r[rule]["max_diffs"]) < 1e-5, r[rule]


@pytest.mark.parametrize("where", ["local", "gs"])
def test_two_processes_match_one(tmp_path, one_and_four, where, request):
  """Two processes, one CPU device each, one shared workdir (on a local disk, or on gs:// as
  the workers of a pod slice share a bucket), joined by jax.distributed.initialize over
  loopback: the same round as a single process."""
  with socket.socket() as s:
    s.bind(("localhost", 0))
    port = s.getsockname()[1]
  shared = (str(tmp_path / "two") if where == "local"
            else request.getfixturevalue("bucket") + "/two")  # the server's env is inherited
  procs = [_worker([0, shared, i, 2, port], devices=1) for i in range(2)]
  single = one_and_four[1]
  results = [_result(p) for p in procs]
  for r in results:
    assert (r["processes"], r["devices"], r["mesh"]) == (2, 2, 2)
    _assert_same_rounds(single["rounds"], r["rounds"])
  written = json.loads(storage.read_text(storage.join(shared, "rounds.json")))  # by process 0
  assert [e["round"] for e in written] == [0, 1]
  if where == "gs":
    assert not os.path.exists(os.path.join(_ROOT, "gs:")) and not os.path.exists("gs:")
