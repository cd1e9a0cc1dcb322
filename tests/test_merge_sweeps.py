"""Merging the part folders of one grid (one process per --sweep_only part) into one sweep
folder: finished points win, paths and commands point at the new folder, conflicts stop."""

import json
import os

import pytest

from rsir_jax import config as config_lib
from rsir_jax.run import sweep
from rsir_jax.tools import merge_sweeps, report

PROVENANCE = {"commit": "abc1234", "machine": "NVIDIA H200 x1", "date": "2026-11-30"}
POINTS = [{"seed": s, "rsir.generator": g} for s in (0, 1) for g in ("rsir", "reorder")]


def _write(folder, name, obj):
  os.makedirs(folder, exist_ok=True)
  with open(os.path.join(folder, name), "w") as f:
    json.dump(obj, f)


def _read(path):
  with open(path) as f:
    return json.load(f)


def _rounds(recall):
  metrics = {"recall@10": recall, "ndcg@10": recall / 2, "recall@20": recall,
             "ndcg@20": recall / 2}
  return [{"round": k, "test": metrics, "valid": metrics, "data": {"synthetic_share": 0.0},
           "provenance": PROVENANCE} for k in (0, 1)]


def _part(root, only, finished, unfinished=(), base=None):
  """A part folder as a GPU process leaves it: the whole grid's sweep.json, its command
  with its own absolute workdir, finished points (results.json naming their workdir) and
  started ones (rounds.json only), each with a lock."""
  base = base or config_lib.get_base_config()
  command = (f"python launch.py --config=configs/x.py --sweep=config --workdir={root} "
             f"'--sweep_only={only}'")
  _write(root, "sweep.json", {"base": base.to_dict(), "points": POINTS, "command": command,
                              "commands": [command]})
  for i, recall in finished:
    d = os.path.join(root, sweep.point_name(POINTS[i]))
    _write(d, "config.json", sweep.apply_overrides(base, POINTS[i]).to_dict())
    _write(d, "results.json", {"rounds": _rounds(recall), "workdir": d})
    _write(d, ".lock", {})
  for i in unfinished:
    d = os.path.join(root, sweep.point_name(POINTS[i]))
    _write(d, "config.json", sweep.apply_overrides(base, POINTS[i]).to_dict())
    _write(d, "rounds.json", _rounds(0.01)[:1])
  return root


def test_parts_merge_into_one_sweep_that_reads_as_if_it_had_run_there(tmp_path):
  a = _part(str(tmp_path / "gpu" / "part0"), "seed=0;model.name=sasrec", [(0, 0.07), (1, 0.08)])
  b = _part(str(tmp_path / "gpu" / "part1"), "seed=1;model.name=sasrec", [(2, 0.06)],
            unfinished=[3])
  into = str(tmp_path / "runs" / "merged")
  summary = merge_sweeps.merge_sweeps([a, b], into)
  assert summary == {"copied": [sweep.point_name(p) for p in POINTS], "finished": 3,
                     "points": 4}
  merged = _read(os.path.join(into, "sweep.json"))
  assert merged["points"] == POINTS
  assert merged["commands"] == [
      f"python launch.py --config=configs/x.py --sweep=config --workdir={into} "
      f"'--sweep_only=seed={s};model.name=sasrec'" for s in (0, 1)]
  first = os.path.join(into, sweep.point_name(POINTS[0]))
  assert _read(os.path.join(first, "results.json"))["workdir"] == first
  assert not os.path.exists(os.path.join(first, ".lock"))
  assert os.path.exists(os.path.join(into, "sweep.csv"))
  assert not any(str(tmp_path / "gpu") in open(os.path.join(d, f)).read()
                 for d, _, files in os.walk(into) for f in files if f.endswith(".json"))
  # The report reads the merged folder like any sweep, and counts the unfinished point.
  out = report.rewrite(f"<!-- results kind=rounds dirs={into} -->\n<!-- /results -->\n")
  assert "3 of 4 runs finished" in out and f"--workdir={into}" in out


def test_a_finished_copy_wins_over_an_unfinished_one_in_either_order(tmp_path):
  done = _part(str(tmp_path / "done"), "seed=0", [(0, 0.07)])
  started = _part(str(tmp_path / "started"), "seed=0", [], unfinished=[0])
  for order, into in (([started, done], "m1"), ([done, started], "m2")):
    into = str(tmp_path / into)
    merge_sweeps.merge_sweeps(order, into)
    assert os.path.exists(os.path.join(into, sweep.point_name(POINTS[0]), "results.json"))
  # Merging an unfinished copy later leaves the finished point in place.
  merge_sweeps.merge_sweeps([started], str(tmp_path / "m1"))
  assert os.path.exists(os.path.join(tmp_path / "m1", sweep.point_name(POINTS[0]),
                                     "results.json"))


def test_two_finished_copies_of_a_point_stop_the_merge(tmp_path):
  a = _part(str(tmp_path / "a"), "seed=0", [(0, 0.07)])
  b = _part(str(tmp_path / "b"), "seed=0", [(0, 0.05)])
  with pytest.raises(merge_sweeps.MergeError, match="finished in both"):
    merge_sweeps.merge_sweeps([a, b], str(tmp_path / "m"))
  into = str(tmp_path / "m")
  merge_sweeps.merge_sweeps([a], into)
  with pytest.raises(merge_sweeps.MergeError, match="--keep_existing"):
    merge_sweeps.merge_sweeps([b], into)
  merge_sweeps.merge_sweeps([b], into, keep_existing=True)
  kept = _read(os.path.join(into, sweep.point_name(POINTS[0]), "results.json"))
  assert kept["rounds"][-1]["test"]["recall@10"] == 0.07


def test_parts_of_different_sweeps_do_not_merge(tmp_path, capsys):
  other = config_lib.get_base_config()
  other.data.name = "sports"
  a = _part(str(tmp_path / "a"), "seed=0", [(0, 0.07)])
  b = _part(str(tmp_path / "b"), "seed=1", [(2, 0.06)], base=other)
  with pytest.raises(merge_sweeps.MergeError, match="not the same sweep"):
    merge_sweeps.merge_sweeps([a, b], str(tmp_path / "m"))
  assert merge_sweeps.main([a, str(tmp_path / "nothing"), f"--into={tmp_path / 'm'}"]) == 2
  assert "no sweep.json" in capsys.readouterr().err
  assert not os.path.exists(tmp_path / "m")
