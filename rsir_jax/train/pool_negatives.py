"""Sampled softmax with the authors' negatives drawn through a pool of the batch
(`train.negatives="row_from_pool"`): the batch draws a pool of M = train.negatives_pool items
uniformly from 1..V, and every position draws its N negatives uniformly with replacement
from the pool entries whose item is not in its row's input.

Each negative, taken alone, is distributed exactly as under `row`: uniform over the items
outside the row (given the pool it is uniform over the pool's allowed entries, and over the
pools every allowed item is alike). What changes is the joint law: the positions of a batch
draw from M shared items instead of the whole catalogue, so their negatives are correlated
(with M = 2048 and N = 256, each position takes its own 256 of the batch's 2048; a pool of
4096 costs 1.4 times as much on a CPU: its (128, M) score blocks leave the cache).

Why it is cheap: the exact rule gathers N item vectors per position (N * D floats each, at
memory speed on a CPU). Here a chunk of C positions scores the whole pool with one dense
(C, D) x (D, M) product and reads a negative's logit as one scalar of that block; the
backward pass is two more dense products. As in row_negatives.py the positions that have a
target are packed and walked C at a time in a loop, the gradients computed in the same pass
(a custom VJP); `chunk=0` scores every position at once under autodiff (the reference the
tests hold the loop to, and the choice on an accelerator).

Draws: the pool from fold_in(key, 2**31 - 1), position p = b * L + l from fold_in(key, p),
so neither the chunk size nor the batch's padding changes a draw.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from rsir_jax.train.row_negatives import (loss_terms, pack_targets, pool_extra,
                                          split_over_devices)

_POOL_STREAM = 2**31 - 1  # the pool's fold_in index: no position has it


def draw_pool(key, num_items: int, pool_size: int):
  """The batch's pool (M,): items uniform over 1..num_items."""
  return jax.random.randint(jax.random.fold_in(key, _POOL_STREAM), (pool_size,), 1,
                            num_items + 1)


def pool_in_rows(pool_M, rows_BxR, num_items: int):
  """(B, M): whether pool entry m's item is in row b's input (a per-row item bitmap, then
  one gather: no (B, M, R) comparison)."""
  B = rows_BxR.shape[0]
  member_BxV = jnp.zeros((B, num_items + 1), bool).at[jnp.arange(B)[:, None], rows_BxR].set(True)
  return jnp.take(member_BxV.at[:, 0].set(False), pool_M, axis=1)  # padding is in no row


def draw_slots(key, in_row_BxM, positions_C, length: int, num_negatives: int, extra: int,
               first=0):
  """Per flat position p = b * length + l, from fold_in(key, first + p) (`first`: the flat
  position of the block's row 0 in the whole batch, a device's rows under a mesh): K = N +
  extra draws of pool entries (C, K), and which of them are its negatives (C, K): the first N
  whose item is not in row b. Filtering i.i.d. uniform entries by "allowed" leaves i.i.d.
  uniform allowed entries; a position with fewer than N allowed draws among K (six standard
  deviations away, with `extra` from pool_extra) keeps those it has."""
  M = in_row_BxM.shape[1]

  def one(p):
    slot_K = jax.random.randint(jax.random.fold_in(key, first + p), (num_negatives + extra,),
                                0, M)
    allowed_K = ~in_row_BxM[p // length, slot_K]
    return slot_K, allowed_K & (jnp.cumsum(allowed_K) <= num_negatives)

  return jax.vmap(one)(positions_C)


def _logits(h_CxD, pool_vec_MxD, target_vec_CxD, slot_CxK, use_CxK):
  """Candidate logits (C, 1 + K): the target's, then the drawn pool entries' (-inf where not
  used: beyond N, in the row, or equal to the target); and the pool scores (C, M)."""
  score_CxM = h_CxD @ pool_vec_MxD.T
  neg_CxK = jnp.where(use_CxK, jnp.take_along_axis(score_CxM, slot_CxK, axis=1), -jnp.inf)
  pos_C = jnp.sum(h_CxD * target_vec_CxD, axis=1)
  return jnp.concatenate([pos_C[:, None], neg_CxK], axis=1), score_CxM


def _packed_pass(h_PxD, table_VxD, pool_M, targets_P, slot_PxK, use_PxK, chunk: int,
                 with_grads: bool):
  """The summed loss of packed positions and, `with_grads`, its gradients with respect to
  the hidden states (P, D) and the table, in one pass: per chunk, the pool scores, then
  d loss / d scores scattered into a (C, M) block and multiplied back."""
  P, D = h_PxD.shape
  M, K = pool_M.shape[0], slot_PxK.shape[1]
  pool_vec_MxD = table_VxD[pool_M]

  def body(c, carry):
    total, dh_PxD, dpool_MxD, dtarget_PxD = carry
    at = c * chunk
    cut = lambda x: jax.lax.dynamic_slice_in_dim(x, at, chunk)
    h_CxD, t_C, slot_CxK = cut(h_PxD), cut(targets_P), cut(slot_PxK)
    target_vec_CxD = table_VxD[t_C]
    logit_CxK1, _ = _logits(h_CxD, pool_vec_MxD, target_vec_CxD, slot_CxK, cut(use_PxK))
    loss_C, softmax_CxK1 = loss_terms(logit_CxK1)
    valid_C = t_C > 0
    total += jnp.sum(jnp.where(valid_C, loss_C, 0.0))
    if not with_grads:
      return total, dh_PxD, dpool_MxD, dtarget_PxD
    # d loss / d logit = softmax - onehot(target column); 0 at unused draws (softmax 0 there)
    # and at positions without a target.
    w_CxK1 = jnp.where(valid_C[:, None], softmax_CxK1 - (jnp.arange(K + 1) == 0), 0.0)
    dscore_CxM = jnp.zeros((chunk, M), h_PxD.dtype).at[
        jnp.arange(chunk)[:, None], slot_CxK].add(w_CxK1[:, 1:], mode="promise_in_bounds")
    dh_CxD = dscore_CxM @ pool_vec_MxD + w_CxK1[:, :1] * target_vec_CxD
    dtarget_PxD = jax.lax.dynamic_update_slice_in_dim(dtarget_PxD, w_CxK1[:, :1] * h_CxD, at,
                                                      axis=0)
    return (total, jax.lax.dynamic_update_slice_in_dim(dh_PxD, dh_CxD, at, axis=0),
            dpool_MxD + dscore_CxM.T @ h_CxD, dtarget_PxD)

  shape = lambda x: x if with_grads else jnp.zeros((), x.dtype)  # no gradient: no buffers
  # zeros_like keeps the type of h, per-device under shard_map (split_over_devices), as the
  # loop carry must.
  init = (jnp.zeros_like(h_PxD, shape=()), shape(jnp.zeros_like(h_PxD)),
          shape(jnp.zeros_like(h_PxD, shape=(M, D))), shape(jnp.zeros_like(h_PxD)))
  steps = (jnp.sum(targets_P > 0) + chunk - 1) // chunk  # packed: targets come first
  total, dh_PxD, dpool_MxD, dtarget_PxD = jax.lax.fori_loop(0, steps, body, init)
  if not with_grads:
    return total, None, None
  dtable_VxD = jnp.zeros_like(table_VxD).at[pool_M].add(dpool_MxD).at[targets_P].add(dtarget_PxD)
  return total, dh_PxD, dtable_VxD


@functools.partial(jax.custom_vjp, nondiff_argnums=(6,))
def _packed_loss(h_PxD, table_VxD, pool_M, targets_P, slot_PxK, use_PxK, chunk):
  """Summed loss of packed positions (see sampled_softmax_from_pool)."""
  return _packed_pass(h_PxD, table_VxD, pool_M, targets_P, slot_PxK, use_PxK, chunk, False)[0]


def _packed_loss_fwd(h_PxD, table_VxD, pool_M, targets_P, slot_PxK, use_PxK, chunk):
  # The loss is a sum: its gradients, computed with it, only scale by the cotangent after.
  total, dh_PxD, dtable_VxD = _packed_pass(h_PxD, table_VxD, pool_M, targets_P, slot_PxK,
                                           use_PxK, chunk, True)
  return total, (dh_PxD, dtable_VxD)


def _packed_loss_bwd(chunk, residuals, g):
  del chunk
  dh_PxD, dtable_VxD = residuals
  return g * dh_PxD, g * dtable_VxD, None, None, None, None


_packed_loss.defvjp(_packed_loss_fwd, _packed_loss_bwd)


def _pool(key, rows_BxR, num_items: int, pool_size: int, num_negatives: int):
  """The batch's pool (M,), whether each entry is in each row (B, M), and the extra draws."""
  pool_M = draw_pool(key, num_items, pool_size)
  return (pool_M, pool_in_rows(pool_M, rows_BxR, num_items),
          pool_extra(num_negatives, rows_BxR.shape[1], num_items))


def _packed_total(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int, rows_BxR,
                  pool_size: int, chunk: int, first=0):
  """The summed loss of the block's positions that have a target, `chunk` at a time; `first`
  as in `draw_slots` (the pool is the batch's: the same on every device)."""
  B, L, D = h_BxLxD.shape
  pool_M, in_row_BxM, extra = _pool(key, rows_BxR, table_VxD.shape[0] - 1, pool_size,
                                    num_negatives)
  # Pack the positions that have a target to the front (flat index order), pad to whole
  # chunks; the loop visits only the chunks that hold a target.
  positions_P, packed_targets_P = pack_targets(targets_BxL, chunk)
  slot_PxK, taken_PxK = draw_slots(key, in_row_BxM, positions_P, L, num_negatives, extra,
                                   first)
  use_PxK = taken_PxK & (pool_M[slot_PxK] != packed_targets_P[:, None])
  return _packed_loss(h_BxLxD.reshape(B * L, D)[positions_P], table_VxD, pool_M,
                      packed_targets_P, slot_PxK, use_PxK, chunk)


def sampled_softmax_from_pool(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int,
                              rows_BxR, pool_size: int = 2048, chunk: int = 128, mesh=None):
  """Mean loss over the positions that have a target: softmax over [target, num_negatives
  pool entries outside the row's input `rows_BxR`], drawn as the module docstring says.
  `chunk` positions per loop step; 0 scores every position at once. With a `mesh` of several
  devices, each device walks its own rows' positions (row_negatives.split_over_devices): the
  draws, the loss and its gradients are those of one device."""
  B, L, D = h_BxLxD.shape
  num_items = table_VxD.shape[0] - 1
  count = jnp.sum(targets_BxL > 0)
  if chunk <= 0:
    pool_M, in_row_BxM, extra = _pool(key, rows_BxR, num_items, pool_size, num_negatives)
    P = B * L
    slot_PxK, taken_PxK = draw_slots(key, in_row_BxM, jnp.arange(P), L, num_negatives, extra)
    targets_P = targets_BxL.reshape(P)
    use_PxK = taken_PxK & (pool_M[slot_PxK] != targets_P[:, None])
    logit_PxK1, _ = _logits(h_BxLxD.reshape(P, D), table_VxD[pool_M], table_VxD[targets_P],
                            slot_PxK, use_PxK)
    loss_P = loss_terms(logit_PxK1)[0]
    return jnp.sum(jnp.where(targets_P > 0, loss_P, 0.0)) / jnp.maximum(count, 1)
  block_total = lambda h, targets, table, key, rows, first: _packed_total(
      h, targets, table, key, num_negatives, rows, pool_size, chunk, first)
  total = split_over_devices(mesh, block_total, h_BxLxD, targets_BxL, table_VxD, key, rows_BxR)
  return total / jnp.maximum(count, 1)
