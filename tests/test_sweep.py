"""Sweeps: grid parsing, one resumable run per point, a shared round 0, the summary."""

import json
import os
import sys
import types

import pytest

from rsir_jax import config as config_lib
from rsir_jax.files import Writer, sweeps
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.run import experiment, sweep
from rsir_jax.tools import cli, report
from tests import tiny


def test_parse_grid_types_values_like_the_config():
  c = config_lib.get_base_config()
  points = sweep.parse_grid("rsir.tau=1,5; rsir.p=0.5 ;rsir.fidelity=true,False", c)
  assert len(points) == 4
  assert points[0] == {"rsir.tau": 1, "rsir.p": 0.5, "rsir.fidelity": True}
  assert isinstance(points[0]["rsir.p"], float) and points[3]["rsir.fidelity"] is False
  with pytest.raises(sweep.SweepError, match="rsir.nope"):
    sweep.parse_grid("rsir.nope=1", c)
  with pytest.raises(sweep.SweepError, match="'x' for rsir.tau is not a int"):
    sweep.parse_grid("rsir.tau=1,x", c)
  with pytest.raises(sweep.SweepError, match="field=value1,value2"):
    sweep.parse_grid("rsir.tau", c)
  with pytest.raises(sweep.SweepError, match="is a section"):
    sweep.parse_grid("rsir=1", c)


def test_config_file_sweep_points_follow_the_preset():
  path = os.path.join(os.path.dirname(__file__), "..", "configs", "rsir_sasrec_beauty.py")
  taus = [p["rsir.tau"] for p in sweep.points_from_config_file(path, "tau_sweep")]
  assert taus == [1, 5, 20, 100]
  assert sweep.points_from_config_file(path, "real") == [{"seed": 0}, {"seed": 1}]


def test_points_sharing_a_round0_train_it_once():
  base = tiny.tiny_rsir_config()
  points = [{"rsir.tau": 5, "seed": 0}, {"rsir.tau": 5, "seed": 1},
            {"rsir.tau": 20, "seed": 0}, {"rsir.tau": 20, "seed": 1}]
  names = [sweep.point_name(p) for p in points]
  configs = sweep.share_round0([sweep.apply_overrides(base, p) for p in points], names)
  assert [c.rsir.round0_dir for c in configs] == ["", "", "../rsir.tau=5,seed=0",
                                                  "../rsir.tau=5,seed=1"]
  lr = sweep.share_round0([sweep.apply_overrides(base, {"train.lr": v}) for v in (0.1, 0.2)],
                          ["a", "b"])
  assert [c.rsir.round0_dir for c in lr] == ["", ""]  # different round 0s


def test_sweep_runs_each_point_once_and_summarises(tmp_path, monkeypatch):
  c = tiny.tiny_config({"data.name": "", "data.path": tiny.write_tiny_file(tmp_path / "t.txt"),
                        "train.max_epochs": 1, "train.patience": 1})
  points = sweep.parse_grid("train.lr=0.001,0.01", c)
  workdir = str(tmp_path / "sweep")
  results = sweep.run_sweep(c, points, workdir, command="python launch.py ...")
  assert [r["lr"] for r in results] == [0.001, 0.01]
  with open(os.path.join(workdir, "sweep.csv")) as f:
    lines = f.read().splitlines()
  assert lines[0].startswith("train.lr,test_recall@10") and len(lines) == 3
  assert os.path.exists(os.path.join(workdir, "sweep_recall10.png"))
  assert "| train.lr |" in open(os.path.join(workdir, "sweep.md")).read()
  with open(os.path.join(workdir, "sweep.json")) as f:
    assert json.load(f)["command"] == "python launch.py ..."
  # A rerun trains nothing: both points are finished.
  monkeypatch.setattr(experiment, "run", lambda *a, **k: pytest.fail("reran a finished point"))
  again = sweep.run_sweep(c, points, workdir)
  assert json.dumps(again, sort_keys=True) == json.dumps(results, sort_keys=True)


def _fake_run(calls):
  """An experiment.run that trains nothing: records the folder and writes a result."""
  def run(config, point_dir):
    calls.append(os.path.basename(point_dir))
    metrics = {m: config.rsir.tau / 100 for m in sweeps.METRICS}
    result = {"test": metrics, "valid": metrics}
    os.makedirs(point_dir)
    with open(os.path.join(point_dir, "results.json"), "w") as f:
      json.dump(result, f)
    return result
  return run


def test_sweep_only_runs_the_matching_points_and_keeps_finished_ones(tmp_path, monkeypatch):
  c = tiny.tiny_config()
  points = sweep.parse_grid("rsir.tau=5,20;seed=0,1", c)
  assert sweep.parse_filter("seed=1; rsir.tau=5,7", c) == {"seed": [1], "rsir.tau": [5, 7]}
  assert sweep.parse_filter(" ", c) == {}
  calls = []
  monkeypatch.setattr(experiment, "run", _fake_run(calls))
  workdir = str(tmp_path / "s")
  results = sweep.run_sweep(c, points, workdir, command="cmd A", only="seed=1")
  assert calls == ["rsir.tau=5,seed=1", "rsir.tau=20,seed=1"] and len(results) == 2
  # seed 1's point: finished earlier
  sweep.run_sweep(c, points, workdir, command="cmd B", only="rsir.tau=5")
  assert calls[2:] == ["rsir.tau=5,seed=0"]
  sweep.run_sweep(c, points, workdir, command="cmd A", only="seed=1")  # nothing left to run
  with open(os.path.join(workdir, "sweep.json")) as f:  # each part's command, once, in order
    assert json.load(f)["commands"] == ["cmd A", "cmd B"]
  assert report._load_runs(workdir)[1] == ["cmd A", "cmd B"]
  with open(os.path.join(workdir, "sweep.csv")) as f:
    assert len(f.read().splitlines()) == 1 + 3  # every finished point, in the grid's order
  with pytest.raises(sweep.SweepError, match="matches none of the 4 points"):
    sweep.run_sweep(c, points, workdir, only="seed=7")
  with pytest.raises(sweep.SweepError, match="'x' for seed is not a int"):
    sweep.parse_filter("seed=x", c)
  with pytest.raises(sweep.SweepError, match="it needs --sweep"):
    cli.run(c, "configs/x.py", workdir, spec="", only="seed=1")



def test_the_summary_lists_points_finished_after_the_one_running(tmp_path, monkeypatch):
  # A summary copied while a point runs (sync_results) holds every finished point, also
  # those after the running one in the grid.
  c = tiny.tiny_config()
  points = sweep.parse_grid("rsir.tau=5,20", c)
  workdir = str(tmp_path / "s")
  calls, seen = [], []
  monkeypatch.setattr(experiment, "run", _fake_run(calls))
  sweep.run_sweep(c, points, workdir, only="rsir.tau=20")
  fake = _fake_run(calls)

  def run_reading_the_summary(config, point_dir):
    with open(os.path.join(workdir, "sweep.csv")) as f:
      seen.append(f.read().splitlines())
    return fake(config, point_dir)
  monkeypatch.setattr(experiment, "run", run_reading_the_summary)
  results = sweep.run_sweep(c, points, workdir, only="rsir.tau=5")
  assert calls == ["rsir.tau=20", "rsir.tau=5"]
  assert len(seen[0]) == 1 + 1 and seen[0][1].startswith("20,")
  assert [r["test"]["recall@10"] for r in results] == [0.05, 0.2]  # grid order

def test_launch_records_its_command_line_quoted_for_the_shell(tmp_path, monkeypatch):
  c = tiny.tiny_config()
  monkeypatch.setattr(experiment, "run", _fake_run([]))
  only = "rsir.tau=5;seed=0"  # a ';' ends a shell command unless quoted
  monkeypatch.setattr(sys, "argv", ["launch.py", "--config=configs/x.py", "--sweep=rsir.tau=5,20",
                                    f"--sweep_only={only}"])
  # As `python launch.py` runs: a script's __main__ has no module spec (pytest's has one).
  monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=None))
  workdir = str(tmp_path / "s")
  assert cli.main(c, "configs/x.py", workdir, spec="rsir.tau=5,20", only=only) == 0
  with open(os.path.join(workdir, "sweep.json")) as f:
    (command,) = json.load(f)["commands"]
  assert command == ("python launch.py --config=configs/x.py --sweep=rsir.tau=5,20 "
                     "'--sweep_only=rsir.tau=5;seed=0'")


def test_sweep_only_brings_along_the_point_whose_round0_a_selected_point_shares(tmp_path,
                                                                                 monkeypatch):
  c = tiny.tiny_rsir_config()
  points = [{"rsir.tau": 5}, {"rsir.tau": 20}, {"rsir.tau": 50}]  # 20, 50: the round 0 of 5
  calls = []
  monkeypatch.setattr(experiment, "run", _fake_run(calls))
  results = sweep.run_sweep(c, points, str(tmp_path / "a"), only="rsir.tau=20")
  assert calls == ["rsir.tau=5", "rsir.tau=20"] and len(results) == 2  # not rsir.tau=50
  # finished earlier: the owner is not run again
  sweep.run_sweep(c, points, str(tmp_path / "a"), only="rsir.tau=50")
  assert calls[2:] == ["rsir.tau=50"]
  # An owner that finished its round 0 but not its later rounds does not run either: the
  # selected point needs only that round 0 (as a queue whose owner's last round outlasts a
  # session runs the points that share its round 0 meanwhile).
  os.makedirs(tmp_path / "b" / "rsir.tau=5" / "round_0" / "train")
  (tmp_path / "b" / "rsir.tau=5" / "round_0" / "train" / "results.json").write_text("{}")
  sweep.run_sweep(c, points, str(tmp_path / "b"), only="rsir.tau=20")
  assert calls[3:] == ["rsir.tau=20"]


def test_sweep_point_runs_one_point_with_its_sweep_config_beside_a_running_part(tmp_path,
                                                                               monkeypatch):
  c = tiny.tiny_rsir_config()
  points = [{"rsir.tau": 5}, {"rsir.tau": 20}]  # 20 takes the round 0 of 5
  workdir = str(tmp_path / "s")
  configs = []

  def run(config, point_dir):
    configs.append(config)
    return _fake_run([])(config, point_dir)
  monkeypatch.setattr(experiment, "run", run)
  with pytest.raises(sweep.SweepError, match="round 0 is not finished"):
    sweep.run_point(c, points, workdir, "rsir.tau=20")  # brings no owner along
  with pytest.raises(sweep.SweepError, match=r"'tau=20' is none of .*rsir.tau=5, rsir.tau=20"):
    sweep.run_point(c, points, workdir, "tau=20")
  os.makedirs(tmp_path / "s" / "rsir.tau=5" / "round_0" / "train")
  (tmp_path / "s" / "rsir.tau=5" / "round_0" / "train" / "results.json").write_text("{}")
  with workdir_lib.locked(workdir):  # a sweep part holds the folder: the point runs beside it
    result = sweep.run_point(c, points, workdir, "rsir.tau=20")
  assert result["test"]["recall@10"] == 0.2
  (config,) = configs
  assert config.rsir.tau == 20 and config.rsir.round0_dir == os.path.join("..", "rsir.tau=5")
  assert not os.path.exists(os.path.join(workdir, "sweep.json"))  # the sweep's next run's
  for kwargs, message in (({"spec": ""}, "it needs --sweep"),
                          ({"spec": "rsir.tau=5,20", "only": "rsir.tau=5"}, "give one of them")):
    with pytest.raises(sweep.SweepError, match=message):
      cli.run(c, "configs/x.py", workdir, point="rsir.tau=20", **kwargs)


def test_an_rsir_sweep_trains_the_shared_round0_once(tmp_path):
  c = tiny.tiny_config({"data.name": "", "data.path": tiny.write_tiny_file(tmp_path / "t.txt"),
                        "rsir.rounds": 1})
  results = sweep.run_sweep(c, [{"rsir.tau": 10}, {"rsir.tau": 3}], str(tmp_path / "s"))
  first, second = (r["rounds"][0] for r in results)
  assert first["test"] == second["test"] and second["time_s"]["train"] == 0.0
  assert second["trained_in"] == os.path.join("..", "rsir.tau=10", "round_0", "train")
  assert not os.path.exists(tmp_path / "s" / "rsir.tau=3" / "round_0" / "train")
  assert results[0]["rounds"][1]["test"] != results[1]["rounds"][1]["test"]


def test_summary_plots_points_that_add_switches_one_at_a_time(tmp_path):
  # The generation study's grid: a switch absent from one point (None) and False in the next.
  points = [{"rsir.tau": 5}, {"rsir.tau": 5, "rsir.drop_failed": False},
            {"rsir.tau": 20}, {"rsir.tau": 20, "rsir.drop_failed": False}]
  final = lambda v: {"test": {m: v for m in sweeps.METRICS}, "valid": {"ndcg@20": v}}
  results = [final(0.1 + i / 100) for i in range(4)]
  sweeps.write_summary(str(tmp_path), points, results, Writer())
  assert os.path.exists(tmp_path / "sweep_ndcg10.png")
  assert sorted([None, False, True, 3, 1], key=sweeps._order) == [1, 3, False, None, True]
