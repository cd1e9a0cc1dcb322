"""Syncing a queue's result files into the checkout where they are committed: result files
go, checkpoints do not, an unfinished point's newest rows go, merged commands stay, and a
point finished there is not overwritten by an older copy."""

import json
import os

from rsir_jax.tools import sync_results

SWEEP = "runs/table"


def _write(path, obj=None, data=b""):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  if obj is None:
    with open(path, "wb") as f:
      f.write(data)
  else:
    with open(path, "w") as f:
      json.dump(obj, f)


def _read(path):
  with open(path) as f:
    return json.load(f)


def _sweep_json(*commands, points=({"seed": 0}, {"seed": 1})):
  return {"base": {"seed": 2023}, "points": list(points), "command": commands[-1],
          "commands": list(commands)}


def _queue_checkout(root):
  """A queue's checkout: seed=0 finished; seed=1 in round 2 with rows for rounds 1 and 2,
  a checkpoint and a generation chunk."""
  os.makedirs(root)
  _write(f"{root}/{SWEEP}/sweep.json", _sweep_json("run seed=0", "run seed=1"))
  _write(f"{root}/{SWEEP}/sweep.csv", data=b"seed,recall\n0,0.05\n")
  for seed in (0, 1):
    _write(f"{root}/{SWEEP}/seed={seed}/config.json", {"seed": seed})
    _write(f"{root}/{SWEEP}/seed={seed}/rounds.json", [{"round": 0, "seed": seed}])
  _write(f"{root}/{SWEEP}/seed=0/results.json", {"rounds": []})
  _write(f"{root}/{SWEEP}/seed=0/round_1/dataset.npz", data=b"rows of round 1")
  p = f"{root}/{SWEEP}/seed=1"
  _write(f"{p}/round_1/dataset.npz", data=b"rows of round 1")
  _write(f"{p}/round_2/dataset.npz", data=b"rows of round 2")
  _write(f"{p}/round_2/train/metrics.jsonl", data=b'{"epoch": 1}\n')
  _write(f"{p}/round_2/train/checkpoints/7/state.json", {"step": 7})
  _write(f"{p}/round_2/chunks/chunk_0.json", {"rows": 3})
  return root


def test_results_and_the_newest_rows_go_checkpoints_do_not(tmp_path, monkeypatch):
  queue, main = _queue_checkout(str(tmp_path / "queue")), str(tmp_path / "main")
  _write(f"{main}/{SWEEP}/seed=0/round_1/dataset.npz", data=b"committed earlier")
  _write(f"{main}/{SWEEP}/seed=1/round_1/dataset.npz", data=b"committed earlier")
  monkeypatch.chdir(queue)
  summary = sync_results.sync_folder(SWEEP, main)

  assert summary["rows"] == [f"{SWEEP}/seed=1/round_2/dataset.npz"]
  assert _read(f"{main}/{SWEEP}/seed=0/results.json") == {"rounds": []}
  assert os.path.exists(f"{main}/{SWEEP}/sweep.csv")
  assert os.path.exists(f"{main}/{SWEEP}/seed=1/round_2/train/metrics.jsonl")
  assert not os.path.exists(f"{main}/{SWEEP}/seed=1/round_2/train/checkpoints")
  assert not os.path.exists(f"{main}/{SWEEP}/seed=1/round_2/chunks")
  # A finished point's rows leave; an unfinished one keeps its newest only.
  assert not os.path.exists(f"{main}/{SWEEP}/seed=0/round_1/dataset.npz")
  assert not os.path.exists(f"{main}/{SWEEP}/seed=1/round_1/dataset.npz")
  with open(f"{main}/{SWEEP}/seed=1/round_2/dataset.npz", "rb") as f:
    assert f.read() == b"rows of round 2"


def test_commands_merged_into_the_committed_sweep_json_are_kept(tmp_path, monkeypatch):
  queue, main = _queue_checkout(str(tmp_path / "queue")), str(tmp_path / "main")
  _write(f"{main}/{SWEEP}/sweep.json", _sweep_json("run seed=0", "run seed=2 (merged part)"))
  monkeypatch.chdir(queue)
  sync_results.sync_folder(SWEEP, main)
  assert _read(f"{main}/{SWEEP}/sweep.json")["commands"] == [
      "run seed=0", "run seed=2 (merged part)", "run seed=1"]


def test_a_point_finished_there_is_not_overwritten_by_an_unfinished_copy(tmp_path,
                                                                        monkeypatch):
  queue, main = _queue_checkout(str(tmp_path / "queue")), str(tmp_path / "main")
  finished_rounds = [{"round": 0, "seed": 1}, {"round": 1, "seed": 1}]
  _write(f"{main}/{SWEEP}/seed=1/rounds.json", finished_rounds)
  _write(f"{main}/{SWEEP}/seed=1/results.json", {"rounds": finished_rounds})
  monkeypatch.chdir(queue)
  summary = sync_results.sync_folder(SWEEP, main)
  assert summary["kept"] == [f"{SWEEP}/seed=1"]
  assert _read(f"{main}/{SWEEP}/seed=1/rounds.json") == finished_rounds
  assert not os.path.exists(f"{main}/{SWEEP}/seed=1/round_2")


def test_a_different_sweep_there_is_an_error_and_nothing_is_copied(tmp_path, monkeypatch,
                                                                   capsys):
  queue, main = _queue_checkout(str(tmp_path / "queue")), str(tmp_path / "main")
  _write(f"{main}/{SWEEP}/sweep.json", _sweep_json("other", points=({"seed": 5},)))
  monkeypatch.chdir(queue)
  assert sync_results.main([f"--to={main}", SWEEP, "runs/not_run_yet"]) == 2
  assert "different sweep" in capsys.readouterr().err
  assert sorted(os.listdir(f"{main}/{SWEEP}")) == ["sweep.json"]
  assert sync_results.main([f"--to={main}", os.path.abspath(SWEEP)]) == 2
