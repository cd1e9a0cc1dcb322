"""Most-popular ranking: the floor any trained model has to beat, under the same protocol."""

from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp
import numpy as np

from rsir_jax.train import batching, metrics


def popularity_scores(train: Sequence[np.ndarray], num_items: int) -> np.ndarray:
  """Training-interaction counts per item id (index 0, padding, gets -inf)."""
  counts_V = np.bincount(np.concatenate(list(train)), minlength=num_items + 1).astype(np.float32)
  counts_V[0] = -np.inf
  return counts_V


def evaluate_popularity(train: Sequence[np.ndarray], num_items: int,
                        batches: Sequence[batching.EvalBatch], mask_history: bool = True,
                        ks: Sequence[int] = metrics.DEFAULT_KS) -> dict[str, float]:
  """Recall/NDCG of ranking every user's candidates by training popularity."""
  scores_V = jnp.asarray(popularity_scores(train, num_items))
  totals: dict[str, float] = {}
  num_users = 0
  for batch in batches:
    scores_BxV = jnp.broadcast_to(scores_V, (len(batch.targets), scores_V.shape[0]))
    if mask_history:
      scores_BxV = metrics.mask_history(scores_BxV, batch.history)
    ranks_B = metrics.target_ranks(scores_BxV, jnp.asarray(batch.targets))
    sums = metrics.metric_sums(ranks_B, jnp.asarray(batch.targets > 0, jnp.float32), tuple(ks))
    for name, value in sums.items():
      totals[name] = totals.get(name, 0.0) + float(value)
    num_users += int(np.count_nonzero(batch.targets))
  return {name: value / num_users for name, value in totals.items()}
