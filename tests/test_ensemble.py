"""Round ensembles (eval.ensemble_rounds): ranking by the models' mean log-probability,
against a numpy reference, and reported beside the newest model in a capped RSIR run; and
ensembles of any finished runs (ensemble_eval), against the rounds' own."""

import csv
import json
import os

import jax
import numpy as np
import pytest

from rsir_jax import models
from rsir_jax.files.rounds import RoundFiles
from rsir_jax.generate import sampler
from rsir_jax.run import experiment, rounds
from rsir_jax.tools import ensemble_eval
from rsir_jax.train import evaluation
from tests import tiny


def _reference(params_list, model, batches, k=10):
  """Recall@k and NDCG@k of ranking by the mean log-softmax, in numpy, history masked, ties
  against the target."""
  hits, gains, users = 0.0, 0.0, 0
  encode = jax.jit(lambda params, inputs: model.encode(params, inputs))
  for b in batches:
    logps = []
    for params in params_list:
      h = np.asarray(encode(params, b.inputs))
      last = np.maximum((b.inputs > 0).sum(1) - 1, 0)
      s = np.asarray(model.score_all(params, h[np.arange(len(last)), last]), np.float64)
      s = s - s[:, 1:].max(1, keepdims=True)
      logps.append(s - np.log(np.exp(s[:, 1:]).sum(1, keepdims=True)))
    mean = np.mean(logps, axis=0)
    for i, target in enumerate(b.targets):
      if not target:
        continue
      row = mean[i].copy()
      row[b.history[i]] = -np.inf
      row[0] = -np.inf
      rank = int(np.sum(row >= row[target]))
      users += 1
      if rank <= k:
        hits, gains = hits + 1, gains + 1 / np.log2(rank + 1)
  return hits / users, gains / users


def test_the_ensemble_ranks_by_the_mean_log_probability(tiny_data):
  setup = tiny.resolve(tiny.tiny_config(), tiny_data)
  model, batches = setup.model, setup.eval_batches["test"]
  a, b = model.init(jax.random.key(0)), model.init(jax.random.key(1))
  both = models.Ensemble(model, 2)
  got = evaluation.evaluate((a, b), both, batches)
  recall, ndcg = _reference([a, b], model, batches)
  np.testing.assert_allclose([got["recall@10"], got["ndcg@10"]], [recall, ndcg], rtol=1e-5)
  alone = evaluation.evaluate(a, model, batches)
  assert evaluation.evaluate((a, a), both, batches) == alone  # log-softmax keeps the order
  assert got != alone


def test_the_ensemble_is_a_backbone_the_sampler_can_decode(tiny_data):
  member = models.SASRec(num_items=50, dim=16, num_layers=1, num_heads=2, max_len=12,
                         dropout=0.0, attn_dropout=0.0)
  both = models.Ensemble(member, 2)
  params = both.init(jax.random.key(0))
  items = np.array([[3, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
  h = both.encode(params, items)
  assert h.shape == (1, 12, 32)
  logps = [jax.nn.log_softmax(member.score_all(p, member.encode(p, items)[0, 2])) for p in params]
  np.testing.assert_allclose(both.score_all(params, h[0, 2]), (logps[0] + logps[1]) / 2,
                             rtol=1e-5, atol=1e-5)
  cache = both.empty_cache()
  for pos, item in enumerate(items[0, :3]):  # one position at a time equals encoding
    h_D, cache = both.decode(params, item, pos, cache)
    np.testing.assert_allclose(h_D, h[0, pos], rtol=1e-4, atol=1e-5)
  sources = np.array([[3, 9, 4, 7, 0], [5, 6, 2, 0, 0]])
  out = sampler.generate(params, sources, jax.random.key(1), model=both,
                         sampling=sampler.SamplerConfig(max_len=12, tau=10))
  assert np.all(np.asarray(out.lengths) >= 1)


def test_capped_rounds_report_the_ensemble_beside_the_newest_model(tiny_data, tmp_path,
                                                                  monkeypatch):
  """rsir.cap with select=margin, a tau schedule, eval.ensemble_rounds and generating with
  the ensemble, together: round 1 (trained on capped rows) is also evaluated as an ensemble
  with round 0, and generates with it; both rounds' new rows keep at most one row per real
  user, round 1's sources including round 0's synthetic rows; each round generates at its
  scheduled tau; round 0's model is restored once for both of round 1's ensembles."""
  config = tiny.tiny_rsir_config(m=4, cap=1, select="margin", generate_only=True,
                                 tau_schedule="share:0.05", generate_ensemble=True)
  config.eval.ensemble_rounds = 2
  generators, real_generate_round = [], rounds.generate_round
  def spy(*args):  # which backbone each round generates with
    generators.append(type(args[-1]).__name__)
    return real_generate_round(*args)
  monkeypatch.setattr(rounds, "generate_round", spy)
  restores, real_restore_best = [], rounds.trainer.restore_best
  def count_restores(setup, folder):
    restores.append(os.path.relpath(folder, tmp_path))
    return real_restore_best(setup, folder)
  monkeypatch.setattr(rounds.trainer, "restore_best", count_restores)
  entries = rounds.run_rounds(tiny.resolve(config, tiny_data), tiny_data, str(tmp_path))
  assert "ensemble" not in entries[0]
  part = entries[1]["ensemble"]
  assert part["rounds"] == [0, 1] and part["test"] != entries[1]["test"]
  assert set(part["valid"]) == set(entries[1]["valid"])
  assert generators == ["NoneType", "Ensemble"]  # round 0: its own model (the default)
  assert restores == [os.path.join("round_0", "train")]
  with open(os.path.join(tmp_path, "rounds.csv")) as f:
    table = list(csv.DictReader(f))
  assert table[0]["ensemble_test_ndcg@10"] == ""
  assert float(table[1]["ensemble_test_ndcg@10"]) == part["test"]["ndcg@10"]
  files = RoundFiles(str(tmp_path), None, tiny_data.item_ids)
  owners = files.synthetic_owners(2)
  assert len(owners) == len(files.synthetic_rows(2)) > 0
  assert np.all((owners >= 0) & (owners < len(tiny_data.split.train)))
  added0 = entries[0]["generation"]["rows_added"]
  assert np.bincount(owners[:added0]).max() <= 1 and np.bincount(owners[added0:]).max() <= 1
  share = entries[1]["data"]["synthetic_share"]  # of D_1, which round 1's tau answers
  factor = min(max(0.05 / share, 0.5), 2.0)
  assert [e["generation"]["tau"] for e in entries] == [10, round(10 * factor)]
  gen = entries[1]["generation"]
  assert gen["rows_before_cap"] >= gen["rows_added"] == len(owners) - added0


def test_ensembles_of_finished_runs_reproduce_the_rounds_own_ensemble(tmp_path):
  """ensemble_eval over an RSIR run's two rounds gives that run's own round-1 ensemble
  (eval.ensemble_rounds) and each round's own test metrics, in either order; members of
  different architectures, or a spec without two folders, are refused before anything is
  restored."""
  data = {"data.name": "", "data.path": tiny.write_tiny_file(tmp_path / "data.txt")}
  rsir = tiny.tiny_config({**data, "rsir.rounds": 1, "eval.ensemble_rounds": 2})
  entries = experiment.run(rsir, str(tmp_path / "rsir"))["rounds"]
  r0, r1 = (str(tmp_path / "rsir" / f"round_{k}" / "train") for k in (0, 1))
  assert entries[0]["generation"]["rows_added"] > 0  # round 1 trained its own model
  rows = ensemble_eval.evaluate_ensembles([ensemble_eval.parse_ensemble(f"rounds:{r0}:{r1}"),
                                           ("reversed", [r1, r0])])
  ndcg = [e["test"]["ndcg@10"] for e in entries]
  for row in rows:
    for split in ("valid", "test"):
      for m in ensemble_eval.METRICS:
        assert abs(row[f"{split}_{m}"] - entries[1]["ensemble"][split][m]) < 1e-6
    assert abs(row["test_ndcg@10_members_best"] - max(ndcg)) < 1e-6
    assert abs(row["test_ndcg@10_members_mean"] - sum(ndcg) / 2) < 1e-6
    assert abs(row["test_ndcg@10_gain_over_best"]
               - (row["test_ndcg@10"] / row["test_ndcg@10_members_best"] - 1)) < 1e-9
  assert [(r["ensemble"], r["members"]) for r in rows] == [("rounds", 2), ("reversed", 2)]

  wide = tmp_path / "wide"  # a run of another width: only its config is needed to refuse it
  os.makedirs(wide)
  config = json.loads((tmp_path / "rsir" / "config.json").read_text())
  config["model"]["dim"] = 8
  (wide / "config.json").write_text(json.dumps(config))
  with pytest.raises(ensemble_eval.EnsembleError, match="differ in their data or model"):
    ensemble_eval.evaluate_ensembles([("mixed", [r0, str(wide)])])
  with pytest.raises(ensemble_eval.EnsembleError, match="at least two"):
    ensemble_eval.parse_ensemble(f"one:{r0}")
