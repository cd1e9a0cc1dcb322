"""Workdirs, sweeps, data and reports on gs://, against a Google Cloud Storage server on
127.0.0.1 (tests/gcs_server.py): the path layer's object-store semantics, the clear errors,
the lock on a bucket, and an RSIR run killed in training and in generation whose rerun gives
the metrics of the same run on a local disk. The two-process run sharing one gs:// workdir is
in test_parallel.py (it reuses that file's one-process reference)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from rsir_jax import storage
from rsir_jax.data import download
from rsir_jax.files import bucket_lock, read_json
from rsir_jax.files.workdir import WorkdirError, locked
from rsir_jax.generate import rollouts
from rsir_jax.run import experiment, sweep
from rsir_jax.tools import merge_sweeps, report
from tests import tiny

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_urls_join_and_normalise_inside_their_bucket():
  assert storage.join("gs://b/sweep/point", "../other/round_0") == "gs://b/sweep/other/round_0"
  assert storage.normpath("gs://b/a/../../..") == "gs://b"  # '..' stops at the bucket
  assert storage.relpath("gs://b/w/round_1/train", "gs://b/w") == "round_1/train"
  assert storage.scheme("gs://b/x") == "gs" and storage.scheme("runs/x") is None
  assert storage.join("runs", "a") == os.path.join("runs", "a")


def test_object_store_semantics(bucket):
  path = f"{bucket}/run/metrics.jsonl"
  assert not storage.exists(path) and not storage.isdir(f"{bucket}/run")
  storage.write_bytes(f"{bucket}/run/a.json", b"{}")
  assert storage.isdir(f"{bucket}/run") and storage.listdir(f"{bucket}/run") == ["a.json"]
  for i in range(3):  # no append on a bucket: each line rewrites the object in one upload
    storage.append_line(path, json.dumps({"i": i}) + "\n")
  assert [json.loads(x)["i"] for x in storage.read_text(path).splitlines()] == [0, 1, 2]
  # Exclusive create: of two creates of one object, exactly one succeeds.
  assert storage.create_exclusive(f"{bucket}/run/claim", b"first")
  assert not storage.create_exclusive(f"{bucket}/run/claim", b"second")
  assert storage.read_bytes(f"{bucket}/run/claim") == b"first"
  storage.write_bytes(f"{bucket}/run/sub/x.npz", b"x")
  assert sorted(storage.walk_files(f"{bucket}/run")) == ["a.json", "claim", "metrics.jsonl",
                                                          "sub/x.npz"]
  storage.rmtree(f"{bucket}/run/sub")
  assert not storage.exists(f"{bucket}/run/sub/x.npz")


def test_a_racing_exclusive_create_lets_exactly_one_in(bucket):
  wins, barrier = [], threading.Barrier(8)

  def claim(i):
    barrier.wait()
    if storage.create_exclusive(f"{bucket}/lock", str(i).encode()):
      wins.append(i)

  threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
  for t in threads:
    t.start()
  for t in threads:
    t.join()
  assert len(wins) == 1 and storage.read_text(f"{bucket}/lock") == str(wins[0])


def test_bad_paths_fail_in_one_line_before_any_compute(gcs, tmp_path):
  with pytest.raises(storage.StorageError, match=r"--workdir=s3://b/x: unknown scheme 's3://'"):
    storage.check_reachable("s3://b/x", "--workdir")
  with pytest.raises(storage.StorageError, match="bucket 'no-such-bucket' does not exist"):
    storage.check_reachable("gs://no-such-bucket/run", "--workdir")
  config = tiny.tiny_config({"data.name": "", "data.path": "gs://no-such-bucket/data.txt"})
  with pytest.raises(storage.StorageError, match="data.path=gs://no-such-bucket/data.txt"):
    experiment.run(config, str(tmp_path / "run"))
  assert not os.path.exists("gs:") and not os.path.exists(tmp_path / "gs:")


def test_no_route_to_the_server_is_one_line_naming_the_path(gcs, tmp_path):
  env = {**os.environ, "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9"}  # nothing listens
  t0 = time.monotonic()
  proc = subprocess.run([sys.executable, "launch.py", "--config=configs/sasrec_beauty.py:smoke",
                         "--workdir=gs://some-bucket/run"], cwd=_ROOT, env=env, text=True,
                        capture_output=True, timeout=300, check=False)
  assert proc.returncode != 0
  last = proc.stderr.strip().splitlines()[-1]
  assert "--workdir=gs://some-bucket/run: no route to the storage server" in last, proc.stderr
  assert "Traceback" not in proc.stderr
  assert time.monotonic() - t0 < 60  # one connection tried, not a minute of retries


def _data_file(tmp_path, bucket=None) -> str:
  local = tiny.write_tiny_file(tmp_path / "data.txt")
  if bucket is None:
    return local
  storage.write_bytes(f"{bucket}/data/tiny.txt", storage.read_bytes(local))
  return f"{bucket}/data/tiny.txt"


def _rsir_config(data_path: str, **train):
  return tiny.tiny_config({"data.name": "", "data.path": data_path, "rsir.rounds": 1,
                           **{f"train.{k}": v for k, v in train.items()}})


def _same(got: dict, want: dict) -> None:
  pick = lambda r: [(e["valid"], e["test"], e["data"], e.get("generation")) for e in r["rounds"]]
  assert pick(got) == pick(want)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
  """The reference: the same RSIR run (round 0, one generation, round 1) on a local disk."""
  folder = tmp_path_factory.mktemp("local")
  return experiment.run(_rsir_config(_data_file(folder)), str(folder / "run"))


def test_a_run_on_gs_killed_in_training_and_in_generation_matches_local(
    bucket, tmp_path, local_run, monkeypatch):
  monkeypatch.chdir(tmp_path)  # so that a local folder named 'gs:' would show up here
  data, workdir = _data_file(tmp_path, bucket), f"{bucket}/runs/smoke"
  with pytest.raises(Exception, match="stop_after_steps"):  # a crash inside round 0's training
    experiment.run(_rsir_config(data, checkpoint_every_steps=2, stop_after_steps=3), workdir)
  assert storage.listdir(f"{workdir}/round_0/train/checkpoints")  # its checkpoint is there

  real = rollouts.sampler.generate
  monkeypatch.setattr(rollouts.sampler, "generate", tiny.crashing_on_call(real, 2))
  with pytest.raises(KeyboardInterrupt):  # a crash inside round 0's generation
    experiment.run(_rsir_config(data), workdir)
  chunks = storage.listdir(f"{workdir}/round_0/generation")
  assert len([c for c in chunks if c.startswith("chunk_")]) == 1
  monkeypatch.setattr(rollouts.sampler, "generate", real)
  resumed = experiment.run(_rsir_config(data), workdir)
  _same(resumed, local_run)
  assert read_json(f"{workdir}/results.json")["rounds"] == resumed["rounds"]
  for name in ("config.json", "rounds.json", "rounds.csv", "rounds.png",
               "round_0/train/metrics.jsonl", "round_1/dataset.npz", "round_1/round.json"):
    assert storage.exists(f"{workdir}/{name}"), name
  assert not storage.exists(f"{workdir}/round_0/generation")  # dropped once the round is durable
  with np.load(storage.loadable(f"{workdir}/round_1/dataset.npz")) as f:
    assert len(f["offsets"]) - 1 == resumed["rounds"][1]["data"]["synthetic_rows"]
  epochs = storage.read_text(f"{workdir}/round_0/train/metrics.jsonl").splitlines()
  assert [json.loads(e)["epoch"] for e in epochs] == [1, 2]  # each epoch once, none torn
  assert not os.path.exists(tmp_path / "gs:")  # nothing named gs: on the local disk


def test_the_bucket_lock_refuses_a_live_holder_and_takes_over_a_dead_one(bucket):
  workdir = f"{bucket}/run"
  first = bucket_lock.BucketLock(workdir)
  assert first.acquire() is None
  assert f"process {os.getpid()} on" in bucket_lock.BucketLock(workdir).acquire()
  first.release()
  again = bucket_lock.BucketLock(workdir)
  assert again.acquire() is None and again.claim == 2  # claims are numbered, never reused
  again.release()
  # A claim from another host whose heartbeat is fresh holds; one silent too long does not.
  claim = {"host": "elsewhere", "pid": 1, "started": "then"}
  storage.write_bytes(f"{workdir}/.lock/000003.json",
                      json.dumps({**claim, "time": time.time()}).encode())
  assert "on elsewhere" in bucket_lock.BucketLock(workdir).acquire()
  storage.write_bytes(f"{workdir}/.lock/000003.alive", json.dumps({"time": 0}).encode())
  taker = bucket_lock.BucketLock(workdir)
  assert taker.acquire() is None and taker.claim == 4
  taker.release()
  # A claim that missed two heartbeats (a run preempted elsewhere) is waited for until stale.
  storage.write_bytes(f"{workdir}/.lock/000005.json",
                      json.dumps({**claim, "time": time.time() - 2.5}).encode())
  t0 = time.monotonic()
  patient = bucket_lock.BucketLock(workdir, stale_s=3.0, heartbeat_s=1.0)
  assert patient.acquire() is None and patient.claim == 6
  assert time.monotonic() - t0 >= 0.5
  patient.release()


def test_a_run_killed_on_this_host_leaves_no_lock_in_the_way(bucket):
  workdir = f"{bucket}/run"
  holder = subprocess.Popen(
      [sys.executable, "-c", "import sys, time; from rsir_jax.files.workdir import locked\n"
       "with locked(sys.argv[1]):\n  print('locked', flush=True); time.sleep(600)", workdir],
      cwd=_ROOT, stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(WorkdirError, match=f"in use by process {holder.pid} on"):
      with locked(workdir):
        pass
  finally:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
  with locked(workdir):  # its process is gone: the claim is dead at once, not after minutes
    assert len(storage.listdir(f"{workdir}/.lock")) >= 2


def test_a_sweep_on_gs_and_the_report_reading_it(bucket, tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  config = tiny.tiny_config({"data.name": "", "data.path": _data_file(tmp_path, bucket),
                             "train.max_epochs": 1})
  workdir = f"{bucket}/sweeps/lr"
  points = [{"train.lr": 1e-3}, {"train.lr": 3e-3}]
  results = sweep.run_sweep(config, points, workdir, command="python launch.py (test)")
  assert len(results) == 2
  assert storage.exists(f"{workdir}/sweep.md") and storage.exists(f"{workdir}/sweep.csv")
  block = f"<!-- results kind=runs dirs={workdir} -->\n<!-- /results -->\n"
  left = []
  text = report.rewrite(block, left)
  assert not left and "2 of 2 runs finished" in text
  rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| 0.00")]
  assert [r[0] for r in rows] == ["| 0.001", "| 0.003"]  # one row per point, from the bucket
  for r, result in zip(rows, results):
    assert r[2] == f"{result['test']['recall@10']:.4f}"
  again = sweep.run_sweep(config, points, workdir, command="python launch.py (test)")
  assert again == results  # finished points are read back, not run again
  merged = merge_sweeps.merge_sweeps([workdir], into=f"{bucket}/merged")
  assert merged["finished"] == 2 and not storage.exists(f"{bucket}/merged/.lock")
  for name in merged["copied"]:  # each point copied whole, its lock left out
    assert storage.listdir(f"{bucket}/merged/{name}/checkpoints")
    assert not storage.exists(f"{bucket}/merged/{name}/.lock")
  assert len(merged["copied"]) == 2
  assert not os.path.exists(tmp_path / "gs:")


def test_a_data_dir_on_gs_is_read_and_verified_never_downloaded_into(bucket):
  with pytest.raises(download.DatasetUnavailableError, match=f"not found in {bucket}/data"):
    download.locate_dataset("beauty", f"{bucket}/data")
  storage.write_bytes(f"{bucket}/data/Beauty.txt", b"1 2 3\n")  # not the registered bytes
  with pytest.raises(download.ChecksumError, match=f"{bucket}/data/Beauty.txt: SHA-256"):
    download.locate_dataset("beauty", f"{bucket}/data")


def test_the_compile_cache_on_gs(bucket):
  code = ("import sys, jax, jax.numpy as jnp\nfrom rsir_jax.tools import cli\n"
          "cli.use_compile_cache(sys.argv[1])\n"
          "jax.config.update('jax_persistent_cache_min_compile_time_secs', 0)\n"
          "print(jax.jit(lambda x: x * 2 + 1)(jnp.arange(3.0)).tolist())")
  for _ in range(2):  # the second process reads what the first wrote
    out = subprocess.run([sys.executable, "-c", code, f"{bucket}/xla"], cwd=_ROOT, text=True,
                         capture_output=True, timeout=120, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "[1.0, 3.0, 5.0]", out.stderr[-2000:]
  assert storage.listdir(f"{bucket}/xla")  # the compiled program is in the bucket
