"""Next-item training losses over hidden states and an item table.

All losses take hidden states h (B, L, D), targets (B, L) with 0 marking "no target here",
the item table E (V + 1, D) whose row 0 is padding, and a PRNG key for negatives. They
return the mean loss over the positions that have a target.

  * "ce":      full softmax cross-entropy over every real item.
  * "sampled": sampled softmax: the target against `num_negatives` items drawn uniformly
               (the paper uses 256). `negatives="shared"`: one draw from 1..V for the whole
               batch; `negatives="row"` (the authors' code): an independent draw for every
               position, with replacement, from the items *not* in the row's input, so a
               user's own items are never pushed down on their own row;
               `negatives="row_pool"`: the same rule, one draw per row that all its
               positions share (row_negatives.py: each position's negatives have the same
               distribution, so the expected loss is the authors'; only the draws of one row's
               positions are no longer independent); `negatives="row_from_pool"`: the
               same rule per position, drawn from a pool of `train.negatives_pool` items
               for the batch (pool_negatives.py: each negative alone is distributed as
               under "row"; a batch's positions share the pool). A negative equal to the
               target ("accidental hit") is masked out. Uniform sampling needs no logQ
               correction: it adds the same constant to every logit.
  * "bce":     binary cross-entropy with one uniformly drawn negative per position, never
               the target itself (SASRec's original objective).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from rsir_jax.train import pool_negatives, row_negatives

LOSSES = ("ce", "sampled", "bce")
NEGATIVES = ("shared", "row", "row_pool", "row_from_pool")


def _masked_mean(per_pos_BxL, targets_BxL):
  # `where`, not a product with the mask: a padding position's value may be inf, and inf * 0
  # is NaN.
  valid_BxL = targets_BxL > 0
  total = jnp.sum(jnp.where(valid_BxL, per_pos_BxL, 0.0))
  return total / jnp.maximum(jnp.sum(valid_BxL), 1)


def full_ce(h_BxLxD, targets_BxL, table_VxD):
  """Softmax cross-entropy of each target against all items 1..V."""
  logits_BxLxV = jnp.einsum("bld,vd->blv", h_BxLxD, table_VxD)
  target_logit_BxL = jnp.take_along_axis(logits_BxLxV, targets_BxL[..., None], axis=-1)[..., 0]
  logits_BxLxV = logits_BxLxV.at[..., 0].set(-jnp.inf)  # padding is never a candidate
  per_pos_BxL = jax.nn.logsumexp(logits_BxLxV, axis=-1) - target_logit_BxL
  return _masked_mean(per_pos_BxL, targets_BxL)


def sampled_softmax(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int,
                    negatives: str = "shared", rows_BxR=None, row_chunk: int = 32,
                    pool_size: int = 2048, mesh=None):
  """Softmax over [target, num_negatives uniform negatives] drawn by the rule `negatives`
  (one of NEGATIVES; the row rules take the rows' input items `rows_BxR`; "row" and
  "row_from_pool" compute `row_chunk` positions per loop step, 0 = all at once:
  row_negatives.py, pool_negatives.py; "row_from_pool" draws from `pool_size` items). The
  `mesh` the batch is split over, if any, lets "row" and "row_from_pool" walk each device's
  rows on that device."""
  if negatives not in NEGATIVES:
    raise ValueError(f"train.negatives={negatives!r} is not one of {NEGATIVES}")
  if negatives == "row":
    return row_negatives.sampled_softmax_row(h_BxLxD, targets_BxL, table_VxD, key,
                                             num_negatives, rows_BxR, row_chunk, mesh)
  if negatives == "row_pool":
    return row_negatives.sampled_softmax_row_pool(h_BxLxD, targets_BxL, table_VxD, key,
                                                    num_negatives, rows_BxR)
  if negatives == "row_from_pool":
    return pool_negatives.sampled_softmax_from_pool(h_BxLxD, targets_BxL, table_VxD, key,
                                                    num_negatives, rows_BxR, pool_size,
                                                    row_chunk, mesh)
  num_items = table_VxD.shape[0] - 1
  pos_BxL = jnp.sum(h_BxLxD * table_VxD[targets_BxL], axis=-1)
  negatives_N = jax.random.randint(key, (num_negatives,), 1, num_items + 1)
  neg_BxLxN = jnp.einsum("bld,nd->bln", h_BxLxD, table_VxD[negatives_N])
  hit_BxLxN = negatives_N[None, None, :] == targets_BxL[..., None]
  neg_BxLxN = jnp.where(hit_BxLxN, -jnp.inf, neg_BxLxN)
  logits_BxLx1N = jnp.concatenate([pos_BxL[..., None], neg_BxLxN], axis=-1)
  per_pos_BxL = jax.nn.logsumexp(logits_BxLx1N, axis=-1) - pos_BxL
  return _masked_mean(per_pos_BxL, targets_BxL)


def bce_one_negative(h_BxLxD, targets_BxL, table_VxD, key):
  """-log sigmoid(target score) - log sigmoid(-negative score), one negative per position."""
  num_items = table_VxD.shape[0] - 1
  # Draw from 1..V-1 and shift past the target: uniform over the items other than it.
  draw_BxL = jax.random.randint(key, targets_BxL.shape, 1, max(num_items, 2))
  negatives_BxL = draw_BxL + (draw_BxL >= targets_BxL)
  pos_BxL = jnp.sum(h_BxLxD * table_VxD[targets_BxL], axis=-1)
  neg_BxL = jnp.sum(h_BxLxD * table_VxD[negatives_BxL], axis=-1)
  per_pos_BxL = -jax.nn.log_sigmoid(pos_BxL) - jax.nn.log_sigmoid(-neg_BxL)
  return _masked_mean(per_pos_BxL, targets_BxL)


def next_item_loss(name: str, h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int = 256,
                   negatives: str = "shared", rows_BxR=None, row_chunk: int = 32,
                   pool_size: int = 2048, mesh=None):
  """Dispatches to the loss called `name` (one of LOSSES); sampled softmax draws its
  negatives by the rule `negatives` (see sampled_softmax; `mesh`: the batch's devices)."""
  if name == "ce":
    return full_ce(h_BxLxD, targets_BxL, table_VxD)
  if name == "sampled":
    return sampled_softmax(h_BxLxD, targets_BxL, table_VxD, key, num_negatives, negatives,
                           rows_BxR, row_chunk, pool_size, mesh)
  if name == "bce":
    return bce_one_negative(h_BxLxD, targets_BxL, table_VxD, key)
  raise ValueError(f"train.loss={name!r} is not one of {LOSSES}")
