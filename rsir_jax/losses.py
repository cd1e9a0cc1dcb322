"""Next-item training losses over hidden states and an item table.

All losses take hidden states h (B, L, D), targets (B, L) with 0 marking "no target here",
the item table E (V + 1, D) whose row 0 is padding, and a PRNG key for negatives. They
return the mean loss over the positions that have a target.

  * "ce":      full softmax cross-entropy over every real item.
  * "sampled": sampled softmax: the target against `num_negatives` items drawn uniformly
               (the paper uses 256). `negatives="shared"`: one draw from 1..V for the whole
               batch; `negatives="row"` (the authors' code): an independent draw for every
               position, with replacement, from the items *not* in the row's input, so a
               user's own items are never pushed down on their own row. A negative equal to
               the target ("accidental hit") is masked out. Uniform sampling needs no logQ
               correction: it adds the same constant to every logit.
  * "bce":     binary cross-entropy with one uniformly drawn negative per position, never
               the target itself (SASRec's original objective).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

LOSSES = ("ce", "sampled", "bce")
NEGATIVES = ("shared", "row")


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


def negatives_outside_rows(key, rows_BxR, num_items: int, shape: tuple[int, ...]):
  """Item ids of shape (B, *shape), each drawn uniformly with replacement from the items
  1..num_items that are not in its row of `rows_BxR` (0 = padding; repeats allowed).

  Exact, without rejection: with the row's distinct items sorted, e_1 < ... < e_k, the u-th
  allowed item (u = 1..V-k) is u + #{i : e_i - i < u}."""
  B, R = rows_BxR.shape
  sorted_BxR = jnp.sort(jnp.where(rows_BxR > 0, rows_BxR, num_items + 1), axis=1)
  repeat_BxR = jnp.concatenate([jnp.zeros((B, 1), bool),
                                sorted_BxR[:, 1:] == sorted_BxR[:, :-1]], axis=1)
  sorted_BxR = jnp.sort(jnp.where(repeat_BxR, num_items + 1, sorted_BxR), axis=1)
  real_BxR = sorted_BxR <= num_items
  distinct_B = jnp.sum(real_BxR, axis=1)
  # e_i - i for the row's distinct items (non-decreasing), then a value no draw reaches.
  offsets_BxR = jnp.where(real_BxR, sorted_BxR - jnp.arange(1, R + 1), num_items + 1)
  allowed_B = num_items - distinct_B
  u = jax.random.randint(key, (B,) + tuple(shape), 1,
                         allowed_B.reshape((B,) + (1,) * len(shape)) + 1)
  skipped = jax.vmap(lambda o, x: jnp.searchsorted(o, x, side="left"))(
      offsets_BxR, u.reshape(B, -1)).reshape(u.shape)
  return (u + skipped).astype(jnp.int32)


def sampled_softmax(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int,
                    rows_BxR=None):
  """Softmax over [target, num_negatives uniform negatives]: shared across the batch, or,
  given the rows' input items `rows_BxR`, drawn per position from outside the row."""
  num_items = table_VxD.shape[0] - 1
  pos_BxL = jnp.sum(h_BxLxD * table_VxD[targets_BxL], axis=-1)
  if rows_BxR is None:
    negatives_N = jax.random.randint(key, (num_negatives,), 1, num_items + 1)
    neg_BxLxN = jnp.einsum("bld,nd->bln", h_BxLxD, table_VxD[negatives_N])
    hit_BxLxN = negatives_N[None, None, :] == targets_BxL[..., None]
  else:
    L = targets_BxL.shape[1]
    negatives_BxLxN = negatives_outside_rows(key, rows_BxR, num_items, (L, num_negatives))
    neg_BxLxN = jnp.einsum("bld,blnd->bln", h_BxLxD, table_VxD[negatives_BxLxN])
    hit_BxLxN = negatives_BxLxN == targets_BxL[..., None]
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
                   rows_BxR=None):
  """Dispatches to the loss called `name` (one of LOSSES); `rows_BxR` (the rows' input
  items) switches sampled softmax to per-position negatives from outside the row."""
  if name == "ce":
    return full_ce(h_BxLxD, targets_BxL, table_VxD)
  if name == "sampled":
    return sampled_softmax(h_BxLxD, targets_BxL, table_VxD, key, num_negatives, rows_BxR)
  if name == "bce":
    return bce_one_negative(h_BxLxD, targets_BxL, table_VxD, key)
  raise ValueError(f"train.loss={name!r} is not one of {LOSSES}")
