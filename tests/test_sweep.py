"""Sweeps: grid parsing, one resumable run per point, the summary across points."""

import json
import os

import numpy as np
import pytest

from rsir_jax import default_config, experiment, sweep


def test_parse_grid_types_values_like_the_config():
  c = default_config.get_base_config()
  points = sweep.parse_grid("rsir.tau=1,5; rsir.p=0.5 ;rsir.fidelity=true,False", c)
  assert len(points) == 4
  assert points[0] == {"rsir.tau": 1, "rsir.p": 0.5, "rsir.fidelity": True}
  assert isinstance(points[0]["rsir.p"], float) and points[3]["rsir.fidelity"] is False
  with pytest.raises(ValueError, match="rsir.nope"):
    sweep.parse_grid("rsir.nope=1", c)
  with pytest.raises(ValueError, match="'x' for rsir.tau is not a int"):
    sweep.parse_grid("rsir.tau=1,x", c)
  with pytest.raises(ValueError, match="field=value1,value2"):
    sweep.parse_grid("rsir.tau", c)
  with pytest.raises(ValueError, match="is a section"):
    sweep.parse_grid("rsir=1", c)


def test_config_file_sweep_points():
  here = os.path.dirname(os.path.abspath(__file__))
  points = sweep.points_from_config_file(os.path.join(here, "..", "configs", "rsir_sasrec_beauty.py"))
  assert [p["rsir.tau"] for p in points] == [1, 5, 20, 100]


def _tiny_config(path):
  c = default_config.get_base_config()
  c.data.name, c.data.path = "", path
  c.model.dim, c.model.num_layers, c.model.max_len = 16, 1, 12
  c.data.bucket_lengths = (4, 8)
  c.train.batch_size, c.train.max_epochs, c.train.patience = 32, 1, 1
  c.eval.batch_size = 64
  return c


def test_sweep_runs_each_point_once_and_summarises(tmp_path, monkeypatch):
  rng = np.random.default_rng(0)
  data = tmp_path / "tiny.txt"
  with open(data, "w") as f:
    for u in range(1, 101):
      start, n = rng.integers(1, 40), rng.integers(4, 12)
      f.write(" ".join(map(str, [u] + list((start + np.arange(n)) % 50 + 1))) + "\n")
  c = _tiny_config(str(data))
  points = sweep.parse_grid("train.lr=0.001,0.01", c)
  workdir = str(tmp_path / "sweep")
  results = sweep.run_sweep(c, points, workdir)
  assert [r["lr"] for r in results] == [0.001, 0.01]
  with open(os.path.join(workdir, "sweep.csv")) as f:
    lines = f.read().splitlines()
  assert lines[0].startswith("train.lr,test_recall@10") and len(lines) == 3
  assert os.path.exists(os.path.join(workdir, "sweep_recall10.png"))
  assert "| train.lr |" in open(os.path.join(workdir, "sweep.md")).read()
  # A rerun trains nothing: both points are finished.
  monkeypatch.setattr(experiment, "run", lambda *a, **k: pytest.fail("reran a finished point"))
  again = sweep.run_sweep(c, points, workdir)
  assert json.dumps(again, sort_keys=True) == json.dumps(results, sort_keys=True)
