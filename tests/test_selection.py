"""Per-user caps and the scores that choose the kept rows (generate/selection.py), against plain
numpy references (a capped run end to end: test_ensemble.py)."""

import jax
import numpy as np

from rsir_jax import models
from rsir_jax.generate import sampler, selection

V, W = 30, 8


def _model(dropout=0.0):
  return models.SASRec(num_items=V, dim=16, num_layers=1, num_heads=2, max_len=W,
                       dropout=dropout, attn_dropout=dropout)


def _rows_and_sources(seed=0, n=13):
  """Sources, and rows that start with their source's first item and go on with a mix of
  the source's other items and two outside items (no item twice, as the sampler makes)."""
  rng = np.random.default_rng(seed)
  items = np.arange(1, V + 1)
  sources = [rng.choice(items, rng.integers(2, 7), replace=False) for _ in range(n)]
  rows = [np.concatenate([s[:1], rng.permutation(np.concatenate(
      [s[1:], rng.choice(np.setdiff1d(items, s), 2, replace=False)]))])[:W] for s in sources]
  return rows, sources


def test_cap_per_owner_keeps_each_owners_best_rows():
  owners = np.array([3, 1, 3, 3, 1, 2, 3])
  scores = np.array([0.5, 0.1, 0.9, 0.5, 0.7, 0.0, 0.2])
  # owner 3: 0.9 (row 2), then 0.5 twice: the earlier row (0) first; owner 1: rows 4, 1.
  assert selection.cap_per_owner(owners, scores, 2).tolist() == [0, 1, 2, 4, 5]
  assert selection.cap_per_owner(owners, scores, 1).tolist() == [2, 4, 5]
  assert selection.cap_per_owner(owners, scores, 9).tolist() == list(range(7))
  first = selection.scores("first", None, None, [], [0] * 7, None, 0, 0, 2)
  assert selection.cap_per_owner(owners, first, 1).tolist() == [0, 1, 5]


def _reference_margin(model, params, source, row, tau):
  """The sampler's check by brute force: for each prefix (its state: the causal encoding of
  the row at its last position), rank the best unused item over the whole catalogue."""
  margin = tau
  h_LxD = np.asarray(model.encode(params, np.pad(row, (0, W - len(row)))[None]))[0]
  for t in range(1, len(row)):
    scores = np.asarray(model.score_all(params, h_LxD[t - 1][None]))[0]
    unused = [i for i in source if i not in row[:t]]
    if not unused:
      continue
    rank = int(np.sum(scores > max(scores[i] for i in unused)))
    margin = min(margin, tau - rank)
  return margin


def test_margins_equal_a_brute_force_ranking_and_agree_with_the_sampler():
  model = _model()
  params = model.init(jax.random.key(1))
  rows, sources = _rows_and_sources()
  tau = 6
  got = selection.margins(params, model, sources, rows, tau, chunk_size=5)  # 3 chunks
  want = [_reference_margin(model, params, s, r, tau) for s, r in zip(sources, rows)]
  assert got.tolist() == want
  # The sampler's scorer passes every check of a row exactly when its margin is >= 1.
  sampling = sampler.SamplerConfig(max_len=W, tau=tau)
  src = np.stack([np.pad(s, (0, W - len(s))) for s in sources])
  cand = np.stack([np.pad(r, (0, W - len(r))) for r in rows])
  passed, _ = sampler.score_sequences(params, src, cand, model=model, sampling=sampling)
  passed = np.asarray(passed)
  for i, r in enumerate(rows):
    judged = [t for t in range(1, len(r)) if set(sources[i]) - set(r[:t].tolist())]
    assert all(passed[i, t] for t in judged) == (got[i] >= 1)


def test_disagreement_is_the_variance_over_dropout_draws():
  rows, _ = _rows_and_sources(seed=2)
  model = _model(dropout=0.3)
  params = model.init(jax.random.key(0))
  key = jax.random.key(5)
  got = selection.disagreement(params, model, rows, key, draws=3, chunk_size=64)
  rows_NxW = np.stack([np.pad(r, (0, W - len(r))) for r in rows])
  logps = []
  for k in jax.random.split(jax.random.fold_in(key, 0), 3):  # chunk 0's draws
    h = model.encode(params, rows_NxW, train=True, dropout_key=k)
    logps.append(np.asarray(jax.nn.log_softmax(model.score_all(params, h), axis=-1)))
  want = []
  for i, r in enumerate(rows):
    per_t = [np.var([lp[i, t - 1, r[t]] for lp in logps]) for t in range(1, len(r))]
    want.append(np.mean(per_t))
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)
  assert np.all(got > 0)
  again = selection.disagreement(params, model, rows, key, draws=3, chunk_size=64)
  np.testing.assert_array_equal(got, again)
  no_dropout = _model(0.0)
  assert np.all(selection.disagreement(params, no_dropout, rows, key, draws=3) < 1e-10)
