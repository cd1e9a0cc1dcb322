"""A run's workdir: one process at a time (a killed run's lock never blocks), nothing written
before the config and the data have passed their checks, ids remapped, clear data errors."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from rsir_jax import storage
from rsir_jax.data.parse import DataFormatError
from rsir_jax.files import writer
from rsir_jax.files.workdir import LOCK_FILE, WorkdirError, locked
from rsir_jax.run import check as config_check
from rsir_jax.run import experiment
from tests import tiny


def _file_config(tmp_path, seqs=None, **overrides):
  path = tiny.write_tiny_file(tmp_path / "data.txt", seqs)
  return tiny.tiny_config({"data.name": "", "data.path": path, "train.max_epochs": 1, **overrides})


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
  with locked(str(tmp_path)):
    with pytest.raises(WorkdirError, match=f"in use by process {os.getpid()} on"):
      with locked(str(tmp_path)):
        pass
  with locked(str(tmp_path)):  # released: free again
    pass


def test_a_run_on_a_busy_workdir_stops_at_once(tmp_path):
  config, workdir = _file_config(tmp_path), str(tmp_path / "run")
  with locked(workdir):
    with pytest.raises(WorkdirError, match="in use by"):
      experiment.run(config, workdir)
  assert os.listdir(workdir) == [LOCK_FILE]  # the refused run wrote nothing


def test_the_lock_of_a_killed_process_does_not_block(tmp_path):
  holder = subprocess.Popen(
      [sys.executable, "-c", "import sys, time; from rsir_jax.files.workdir import locked\n"
       "with locked(sys.argv[1]):\n  print('locked', flush=True); time.sleep(600)", str(tmp_path)],
      stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
  assert holder.stdout.readline().strip() == "locked"
  with pytest.raises(WorkdirError, match=f"process {holder.pid}"):
    with locked(str(tmp_path)):
      pass
  holder.send_signal(signal.SIGKILL)
  holder.wait()
  with locked(str(tmp_path)):  # the stale lock file is still there, but nobody holds it
    assert os.path.exists(tmp_path / LOCK_FILE)


@pytest.mark.parametrize("overrides, error, match", [
    ({"rsir.rounds": 1, "rsir.tau": 100000}, config_check.ConfigError, "rsir.tau=100000"),
    ({"train.batch_size": 10_000_000}, config_check.ConfigError, "train.batch_size=10000000"),
    ({"eval.batch_size": 10_000_000}, config_check.ConfigError, "eval.batch_size=10000000"),
])
def test_a_run_that_fails_its_checks_writes_nothing(tmp_path, overrides, error, match):
  config, workdir = _file_config(tmp_path, **overrides), tmp_path / "run"
  with pytest.raises(error, match=match):
    experiment.run(config, str(workdir))
  assert not workdir.exists()
  experiment.run(_file_config(tmp_path), str(workdir))


def test_data_nobody_can_be_evaluated_on_fails_naming_the_file(tmp_path):
  config = _file_config(tmp_path, seqs=[np.array([1, 2]), np.array([2, 3])])
  with pytest.raises(DataFormatError, match=f"{config.data.path}: no user has 3 or more items"):
    experiment.run(config, str(tmp_path / "run"))
  assert not (tmp_path / "run").exists()


def test_sparse_huge_item_ids_are_mapped_to_1_to_n(tmp_path):
  seqs = tiny.tiny_sequences()
  mapping = {i: 1_000_000_000 + 7 * i for i in range(1, 51)}
  sparse = [np.array([mapping[int(i)] for i in s]) for s in seqs]
  dense = experiment.run(_file_config(tmp_path, seqs=seqs), str(tmp_path / "dense"))
  (tmp_path / "data.txt").unlink()
  remapped = experiment.run(_file_config(tmp_path, seqs=sparse, **{"rsir.rounds": 1}),
                            str(tmp_path / "sparse"))
  assert remapped["data"]["ids_remapped"] and not dense["data"]["ids_remapped"]
  assert remapped["rounds"][0]["test"] == dense["test"]  # the same problem, the same model
  with np.load(tmp_path / "sparse" / "round_1" / "dataset.npz") as f:
    assert set(f["flat"].tolist()) <= set(mapping.values())  # written in the file's ids


def test_a_full_disk_stops_with_one_line_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
  config, workdir = _file_config(tmp_path, **{"train.max_epochs": 3}), str(tmp_path / "run")
  experiment.run(_file_config(tmp_path), workdir + "_warm")  # compile outside the test
  real = storage.shutil.disk_usage
  saves = {"n": 0}

  def fills_up(path):
    usage = real(path)
    saves["n"] += 1
    return usage._replace(free=usage.free if saves["n"] < 3 else 1000)

  monkeypatch.setattr(storage.shutil, "disk_usage", fills_up)
  full = r"checkpoints: needs about [\d.]+ MB but only 0.0 MB"
  with pytest.raises(writer.DiskFullError, match=full):
    experiment.run(config, workdir)
  kept = os.listdir(os.path.join(workdir, "checkpoints"))
  assert kept and not any("tmp" in k for k in kept)
  monkeypatch.setattr(storage.shutil, "disk_usage", real)
  done = experiment.run(config, workdir)  # space freed: the same command resumes
  assert done["epochs_run"] == 3


def test_a_writer_on_a_full_disk_says_so(tmp_path, monkeypatch):
  def no_space(*args, **kwargs):
    raise OSError(28, "No space left on device")
  monkeypatch.setattr(storage.os, "replace", no_space)
  with pytest.raises(writer.DiskFullError, match="x.json: no space left on device"):
    writer.Writer().json(str(tmp_path / "x.json"), {"a": 1})
  assert os.listdir(tmp_path) == []  # no temporary file left behind
