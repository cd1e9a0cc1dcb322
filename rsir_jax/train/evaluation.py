"""Full-ranking evaluation of a backbone's params on validation or test users."""

from __future__ import annotations

import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from rsir_jax import parallel
from rsir_jax.models import Backbone
from rsir_jax.train import batching, metrics


@functools.partial(jax.jit, static_argnames=("model", "mask_history", "ks"))
def eval_step(params, inputs_BxL, history_BxH, targets_B, *, model: Backbone,
              mask_history: bool, ks: tuple[int, ...]):
  """Metric sums for one batch: encode, take the state after each row's last real item,
  score every item, optionally mask the history, rank the target."""
  h_BxLxD = model.encode(params, inputs_BxL, train=False)
  last_B = jnp.maximum(jnp.sum(inputs_BxL > 0, axis=1) - 1, 0)
  h_BxD = jnp.take_along_axis(h_BxLxD, last_B[:, None, None], axis=1)[:, 0]
  scores_BxV = model.score_all(params, h_BxD)
  if mask_history:
    scores_BxV = metrics.mask_history(scores_BxV, history_BxH)
  ranks_B = metrics.target_ranks(scores_BxV, targets_B)
  return metrics.metric_sums(ranks_B, (targets_B > 0).astype(jnp.float32), ks)


def evaluate(params, model: Backbone, batches: Sequence[batching.EvalBatch], *,
             mask_history: bool = True, ks: Sequence[int] = metrics.DEFAULT_KS,
             mesh=None) -> dict[str, float]:
  """Mean Recall@K and NDCG@K over all real rows of `batches` (ranked by several models'
  mean log-probability with a models.Ensemble and its tuple of params). Sums stay on the
  device until the end, so the loop only dispatches work and never waits on a batch. With a
  `mesh`, each batch is split over its devices (params replicated) and the sums are reduced
  across them."""
  ks = tuple(int(k) for k in ks)
  if mesh is not None:
    params = parallel.replicate(mesh, params)
  totals = None
  num_users = 0
  for batch in batches:
    arrays = (batch.inputs, batch.history, batch.targets)
    if mesh is not None:
      arrays = parallel.shard_batch(mesh, arrays)
    sums = eval_step(params, *arrays, model=model, mask_history=mask_history, ks=ks)
    if mesh is not None:
      parallel.settle(mesh, sums)
    totals = sums if totals is None else jax.tree_util.tree_map(jnp.add, totals, sums)
    num_users += int(np.count_nonzero(batch.targets))
  if not num_users:
    raise ValueError("no users to evaluate")
  return {name: float(value) / num_users for name, value in jax.device_get(totals).items()}
