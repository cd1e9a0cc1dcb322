"""Full-ranking metrics from scores over the whole catalogue.

The rank of the target is 1 + the number of *other* items scoring at least as high as it:
ties are broken against the target. This is the conservative choice: a model that scores every
item equally gets the worst rank rather than a perfect one. Ranking by `top_k` with ties
broken against the target gives the same ranks; counting is cheaper than a sort and needs no
top-k list, so this is what runs on the device.
"""

from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp

DEFAULT_KS = (5, 10, 20)


def mask_history(scores_BxV, history_BxH):
  """Sets the scores of items in each row's history to -inf (id 0 is padding and is
  already -inf)."""
  rows_Bx1 = jnp.arange(scores_BxV.shape[0])[:, None]
  return scores_BxV.at[rows_Bx1, history_BxH].set(-jnp.inf)


def target_ranks(scores_BxV, targets_B):
  """1-based pessimistic rank of each target among all columns of its row. A target whose
  own score is -inf (masked, or the padding id) gets rank V + 1: never a hit at any K <= V."""
  target_score_Bx1 = jnp.take_along_axis(scores_BxV, targets_B[:, None], axis=1)
  ranks_B = jnp.sum(scores_BxV >= target_score_Bx1, axis=1)  # counts the target itself
  return jnp.where(jnp.isneginf(target_score_Bx1[:, 0]), scores_BxV.shape[1] + 1, ranks_B)


def metric_sums(ranks_B, weights_B, ks: Sequence[int] = DEFAULT_KS):
  """Sums over the batch (weighted, so filler rows count 0) of Recall@K and NDCG@K."""
  ranks_B = ranks_B.astype(jnp.float32)
  sums = {}
  for k in ks:
    hit_B = (ranks_B <= k).astype(jnp.float32) * weights_B
    sums[f"recall@{k}"] = jnp.sum(hit_B)
    sums[f"ndcg@{k}"] = jnp.sum(hit_B / jnp.log2(ranks_B + 1.0))
  return sums

