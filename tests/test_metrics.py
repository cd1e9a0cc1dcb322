"""Full-ranking metrics against a brute-force numpy reference, ties included."""

import jax.numpy as jnp
import numpy as np
import pytest

from rsir_jax.train import metrics


def _reference(scores_BxV, targets_B, history, ks):
  """Sort every row (stable, target placed after equal scores) and read off the rank."""
  out = {f"{m}@{k}": [] for m in ("recall", "ndcg") for k in ks}
  for row, t, hist in zip(scores_BxV, targets_B, history):
    row = row.astype(np.float64).copy()
    row[0] = -np.inf
    row[list(hist)] = -np.inf
    items = [i for i in range(len(row)) if i != t] + [t]   # the target last among ties
    order = sorted(items, key=lambda i: -row[i])             # stable sort
    rank = order.index(t) + 1
    for k in ks:
      out[f"recall@{k}"].append(float(rank <= k))
      out[f"ndcg@{k}"].append(1.0 / np.log2(rank + 1) if rank <= k else 0.0)
  return {name: float(np.mean(v)) for name, v in out.items()}


@pytest.mark.parametrize("num_values", [3, 1000])  # 3 distinct values: ties everywhere
def test_metrics_match_bruteforce(num_values):
  rng = np.random.default_rng(num_values)
  B, V, H = 64, 40, 5
  scores = rng.integers(0, num_values, size=(B, V)).astype(np.float32)
  targets = rng.integers(1, V, size=B)
  history = [rng.choice(np.setdiff1d(np.arange(1, V), [t]), size=H, replace=False) for t in targets]
  ks = (1, 5, 10, 20)
  s = jnp.asarray(scores).at[:, 0].set(-jnp.inf)
  s = metrics.mask_history(s, jnp.asarray(np.stack(history)))
  ranks = metrics.target_ranks(s, jnp.asarray(targets))
  sums = metrics.metric_sums(ranks, jnp.ones(B), ks)
  got = {k: float(v) / B for k, v in sums.items()}
  want = _reference(scores, targets, history, ks)
  for name in want:
    assert got[name] == pytest.approx(want[name], abs=1e-6), name


def test_constant_scores_rank_last_not_first():
  scores = jnp.zeros((2, 10)).at[:, 0].set(-jnp.inf)
  ranks = metrics.target_ranks(scores, jnp.array([3, 7]))
  assert list(np.asarray(ranks)) == [9, 9]


def test_masked_target_is_never_a_hit():
  scores = jnp.arange(10.0)[None].at[:, 0].set(-jnp.inf)
  masked = metrics.mask_history(scores, jnp.array([[9, 0]]))
  ranks = metrics.target_ranks(masked, jnp.array([9]))
  assert int(ranks[0]) == 11
  sums = metrics.metric_sums(ranks, jnp.ones(1), (5, 10))
  assert float(sums["recall@10"]) == 0.0


def test_filler_rows_carry_no_weight():
  scores = jnp.arange(10.0)[None].repeat(2, 0).at[:, 0].set(-jnp.inf)
  ranks = metrics.target_ranks(scores, jnp.array([9, 9]))
  sums = metrics.metric_sums(ranks, jnp.array([1.0, 0.0]), (1,))
  assert float(sums["recall@1"]) == 1.0
  assert float(sums["ndcg@1"]) == 1.0
