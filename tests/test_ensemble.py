"""Round ensembles (eval.ensemble_rounds): ranking by the models' mean log-probability,
against a numpy reference, and reported beside the newest model in a capped RSIR run."""

import csv
import os

import jax
import numpy as np

from rsir_jax import evaluation, rounds
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
  got = evaluation.evaluate((a, b), model, batches)
  recall, ndcg = _reference([a, b], model, batches)
  np.testing.assert_allclose([got["recall@10"], got["ndcg@10"]], [recall, ndcg], rtol=1e-5)
  alone = evaluation.evaluate(a, model, batches)
  assert evaluation.evaluate((a, a), model, batches) == alone  # log-softmax keeps the order
  assert got != alone


def test_capped_rounds_report_the_ensemble_beside_the_newest_model(tiny_data, tmp_path):
  """rsir.cap with select=margin, a tau schedule and eval.ensemble_rounds together: round 1
  (trained on capped rows) is also evaluated as an ensemble with round 0; both rounds' new
  rows keep at most one row per real user, round 1's sources including round 0's synthetic
  rows; each round generates at its scheduled tau."""
  config = tiny.tiny_rsir_config(m=4, cap=1, select="margin", generate_only=True,
                                 tau_schedule="10,6")
  config.eval.ensemble_rounds = 2
  entries = rounds.run_rounds(tiny.resolve(config, tiny_data), tiny_data, str(tmp_path))
  assert "ensemble" not in entries[0]
  part = entries[1]["ensemble"]
  assert part["rounds"] == [0, 1] and part["test"] != entries[1]["test"]
  assert set(part["valid"]) == set(entries[1]["valid"])
  with open(os.path.join(tmp_path, "rounds.csv")) as f:
    table = list(csv.DictReader(f))
  assert table[0]["ensemble_test_ndcg@10"] == ""
  assert float(table[1]["ensemble_test_ndcg@10"]) == part["test"]["ndcg@10"]
  files = rounds.RoundFiles(str(tmp_path), None, tiny_data.item_ids)
  owners = files.synthetic_owners(2)
  assert len(owners) == len(files.synthetic_rows(2)) > 0
  assert np.all((owners >= 0) & (owners < len(tiny_data.split.train)))
  added0 = entries[0]["generation"]["rows_added"]
  assert np.bincount(owners[:added0]).max() <= 1 and np.bincount(owners[added0:]).max() <= 1
  assert [e["generation"]["tau"] for e in entries] == [10, 6]
  gen = entries[1]["generation"]
  assert gen["rows_before_cap"] >= gen["rows_added"] == len(owners) - added0
