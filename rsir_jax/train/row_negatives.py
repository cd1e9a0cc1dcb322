"""Sampled softmax with the authors' negatives: for every position, `N` items drawn uniformly
with replacement from the items *not* in the row's input (never padding), the target against
them (a negative equal to the target, an "accidental hit", is masked out). Also the cheap
rule beside it, `row_pool`: each row's negatives from the same distribution, taken from one
pool for the batch and shared by the row's positions.

Each position gathers its own N item vectors, N*D floats: on Beauty 34 M vectors an epoch,
forward and backward. Done at once (`chunk=0`), XLA materialises the (B, L, N, D) block and
its backward is one generic scatter-add over it: on a CPU both run at memory speed, x5 the
epoch of shared negatives. `chunk=C` instead walks the positions that have a target, C at a
time, in a loop whose (C, N, D) block stays in cache, with a hand-written backward (a custom
VJP) that gathers once more and scatter-adds into the table's gradient in place; padding
positions cost nothing. Both give the same loss and gradients (to float rounding) from the
same draws: position p = b * L + l draws from fold_in(key, p) alone, so neither the chunk
size nor the batch's padding changes a draw.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec as Spec

from rsir_jax.parallel import DATA_AXIS


def row_offsets(rows_BxR, num_items: int):
  """Per row, what maps a uniform draw over its allowed items to an item id: the values
  e_i - i of its distinct items sorted (e_1 < ... < e_k), then num_items + 1 (never reached);
  and the number of allowed items, num_items - k. The u-th allowed item (u = 1 .. V - k) is
  u + #{i : e_i - i < u}: exact, without rejection."""
  B, R = rows_BxR.shape
  sorted_BxR = jnp.sort(jnp.where(rows_BxR > 0, rows_BxR, num_items + 1), axis=1)
  repeat_BxR = jnp.concatenate([jnp.zeros((B, 1), bool),
                                sorted_BxR[:, 1:] == sorted_BxR[:, :-1]], axis=1)
  sorted_BxR = jnp.sort(jnp.where(repeat_BxR, num_items + 1, sorted_BxR), axis=1)
  real_BxR = sorted_BxR <= num_items
  offsets_BxR = jnp.where(real_BxR, sorted_BxR - jnp.arange(1, R + 1), num_items + 1)
  return offsets_BxR, num_items - jnp.sum(real_BxR, axis=1)


def allowed_item(offsets_R, u):
  """The u-th allowed item of a row (u >= 1, any shape), given its row_offsets."""
  return (u + jnp.searchsorted(offsets_R, u.reshape(-1), side="left",
                               method="compare_all").reshape(u.shape)
          ).astype(jnp.int32)


def _draw(key, offsets_BxR, allowed_B, positions_C, length: int, num_negatives: int,
          first=0):
  """(C, N) negatives of flat positions p = b * length + l, each from fold_in(key, first + p):
  `first` is the flat position of this block's row 0 in the whole batch (a device's rows under
  a mesh), so that a position draws the same items however the batch is split."""
  def one(p):
    b = p // length
    u_N = jax.random.randint(jax.random.fold_in(key, first + p), (num_negatives,), 1,
                             allowed_B[b] + 1)
    return allowed_item(offsets_BxR[b], u_N)
  return jax.vmap(one)(positions_C)


def position_negatives(key, rows_BxR, num_items: int, length: int, num_negatives: int):
  """The (B, length, N) negatives that `sampled_softmax_row` draws for rows `rows_BxR`."""
  offsets_BxR, allowed_B = row_offsets(rows_BxR, num_items)
  B = rows_BxR.shape[0]
  negatives_PxN = _draw(key, offsets_BxR, allowed_B, jnp.arange(B * length), length,
                        num_negatives)
  return negatives_PxN.reshape(B, length, num_negatives)


def _logits(h_CxD, table_VxD, targets_C, negatives_CxN):
  """Candidates (C, 1 + N): the target, then the negatives; their logits, -inf at accidental
  hits; and their gathered vectors (C, 1 + N, D). One gather and one batched product for
  both (fewer, larger ops: each op of the loop body has a fixed cost on a CPU)."""
  cand_CxK = jnp.concatenate([targets_C[:, None], negatives_CxN], axis=1)
  vec_CxKxD = jnp.take(table_VxD, cand_CxK, axis=0, mode="clip")  # ids are in range; clip
  # is the cheapest gather XLA:CPU emits for them
  logit_CxK = jax.lax.dot_general(vec_CxKxD, h_CxD, (((2,), (1,)), ((0,), (0,))))
  hit_CxK = (cand_CxK == targets_C[:, None]) & (jnp.arange(cand_CxK.shape[1]) > 0)
  return cand_CxK, jnp.where(hit_CxK, -jnp.inf, logit_CxK), vec_CxKxD


def loss_terms(logit_CxK):
  """Per position: the loss log-sum-exp(logits) - target logit, and the softmax weights."""
  max_C = jnp.max(logit_CxK, axis=1)
  exp_CxK = jnp.exp(logit_CxK - max_C[:, None])
  sum_C = jnp.sum(exp_CxK, axis=1)
  return max_C + jnp.log(sum_C) - logit_CxK[:, 0], exp_CxK / sum_C[:, None]


def _chunks(targets_P, chunk: int):
  """Chunks to visit: those holding a target (positions are packed, targets first)."""
  return (jnp.sum(targets_P > 0) + chunk - 1) // chunk


def _packed_pass(h_PxD, table_VxD, targets_P, positions_P, key, offsets, first, length: int,
                 num_negatives: int, chunk: int, with_grads: bool):
  """The summed loss of packed positions and, `with_grads`, its gradients with respect to
  the hidden states (P, D) and the table, in one pass over the draws: each position's
  gradient goes to its hidden state and, in place, to the table rows of its candidates."""
  offsets_BxR, allowed_B = offsets
  P, D = h_PxD.shape

  def body(c, carry):
    total, dh_PxD, dtable_VxD = carry
    at = c * chunk
    h_CxD = jax.lax.dynamic_slice(h_PxD, (at, 0), (chunk, D))
    t_C = jax.lax.dynamic_slice(targets_P, (at,), (chunk,))
    n_CxN = jax.lax.dynamic_slice(negatives_PxN, (at, 0), (chunk, num_negatives))
    cand_CxK, logit_CxK, vec_CxKxD = _logits(h_CxD, table_VxD, t_C, n_CxN)
    loss_C, softmax_CxK = loss_terms(logit_CxK)
    valid_C = t_C > 0
    total += jnp.sum(jnp.where(valid_C, loss_C, 0.0))
    if not with_grads:
      return total, dh_PxD, dtable_VxD
    # d loss / d logit = softmax - onehot(target column); 0 at hits and without a target.
    w_CxK = jnp.where(valid_C[:, None], softmax_CxK - (jnp.arange(cand_CxK.shape[1]) == 0), 0.0)
    dh_CxD = jax.lax.dot_general(w_CxK, vec_CxKxD, (((1,), (1,)), ((0,), (0,))))
    dtable_VxD = dtable_VxD.at[cand_CxK].add(w_CxK[..., None] * h_CxD[:, None, :],
                                             mode="promise_in_bounds")
    return total, jax.lax.dynamic_update_slice(dh_PxD, dh_CxD, (at, 0)), dtable_VxD

  # One vectorised draw for every packed slot (a loop step's small ops cost more each).
  negatives_PxN = _draw(key, offsets_BxR, allowed_B, positions_P, length, num_negatives,
                        first)
  shape = lambda x: x if with_grads else jnp.zeros((), x.dtype)  # no gradient: no buffers
  # zeros_like keeps the type of h, per-device under shard_map (split_over_devices), as the loop
  # carry must: the total becomes per-device with the first chunk.
  init = (jnp.zeros_like(h_PxD, shape=()), shape(jnp.zeros_like(h_PxD)),
          shape(jnp.zeros_like(table_VxD)))
  return jax.lax.fori_loop(0, _chunks(targets_P, chunk), body, init)


@functools.partial(jax.custom_vjp, nondiff_argnums=(7, 8, 9))
def _packed_loss(h_PxD, table_VxD, targets_P, positions_P, key, offsets, first, length,
                 num_negatives, chunk):
  """Summed loss of packed positions (see sampled_softmax_row)."""
  return _packed_pass(h_PxD, table_VxD, targets_P, positions_P, key, offsets, first, length,
                      num_negatives, chunk, with_grads=False)[0]


def _packed_loss_fwd(h_PxD, table_VxD, targets_P, positions_P, key, offsets, first, length,
                     num_negatives, chunk):
  # The gradients are computed with the loss, while the gathered vectors are in cache: the
  # loss is a sum, so the backward pass only scales them by the incoming cotangent.
  total, dh_PxD, dtable_VxD = _packed_pass(h_PxD, table_VxD, targets_P, positions_P, key,
                                           offsets, first, length, num_negatives, chunk,
                                           with_grads=True)
  return total, (dh_PxD, dtable_VxD)


def _packed_loss_bwd(length, num_negatives, chunk, residuals, g):
  del length, num_negatives, chunk
  dh_PxD, dtable_VxD = residuals
  return g * dh_PxD, g * dtable_VxD, None, None, None, None, None


_packed_loss.defvjp(_packed_loss_fwd, _packed_loss_bwd)


def pack_targets(targets_BxL, chunk: int):
  """The flat positions b * L + l that have a target, in order, padded (with position 0) to
  whole chunks of `chunk`; and their targets (0 past the last one)."""
  P = targets_BxL.size
  padded = -(-P // chunk) * chunk
  targets_P = targets_BxL.reshape(P)
  positions_P = jnp.nonzero(targets_P > 0, size=padded, fill_value=0)[0].astype(jnp.int32)
  count = jnp.sum(targets_P > 0)
  return positions_P, jnp.where(jnp.arange(padded) < count, targets_P[positions_P], 0)


def _packed_total(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int, rows_BxR,
                  chunk: int, first=0):
  """The summed loss of the block's positions that have a target, `chunk` at a time; `first`
  as in `_draw`."""
  B, L, D = h_BxLxD.shape
  num_items = table_VxD.shape[0] - 1
  # Pack the positions that have a target to the front (in flat index order), pad to whole
  # chunks; the loop visits only the chunks that hold a target.
  positions_P, packed_targets_P = pack_targets(targets_BxL, chunk)
  return _packed_loss(h_BxLxD.reshape(B * L, D)[positions_P], table_VxD, packed_targets_P,
                      positions_P, key, row_offsets(rows_BxR, num_items), first, L,
                      num_negatives, chunk)


def split_over_devices(mesh, block_total, h_BxLxD, targets_BxL, table_VxD, key, rows_BxR):
  """`block_total(h, targets, table, key, rows, first)`, a block of rows' summed loss, with
  every device of `mesh` computing it for its own rows (shard_map over the data axis), summed
  over the devices. Under plain jit, XLA cannot split a loop over positions packed from the
  whole batch, and every device ran the whole loop: a mesh of two CPU devices trained at
  0.95x one device (benchmarks/bench_cores.py). `first` is the flat position (b * L + l) of
  the device's first row, so that a position keeps its draw however the batch is split; the
  table's gradient is summed over the devices. Without a mesh of several devices, the whole
  batch is one block (first = 0)."""
  if mesh is None or mesh.devices.size <= 1:
    return block_total(h_BxLxD, targets_BxL, table_VxD, key, rows_BxR, 0)

  def per_device(h_bxLxD, targets_bxL, rows_bxR, table_VxD, key):
    b, L = targets_bxL.shape
    first = jax.lax.axis_index(DATA_AXIS) * (b * L)
    # Per-device table: its gradient (one per device) is then summed over the devices by
    # the transpose of this cast.
    table_VxD = jax.lax.pcast(table_VxD, DATA_AXIS, to="varying")
    return jax.lax.psum(block_total(h_bxLxD, targets_bxL, table_VxD, key, rows_bxR, first),
                        DATA_AXIS)

  rows = Spec(DATA_AXIS)
  return jax.shard_map(per_device, mesh=mesh, in_specs=(rows, rows, rows, Spec(), Spec()),
                       out_specs=Spec())(h_BxLxD, targets_BxL, rows_BxR, table_VxD, key)


def sampled_softmax_row(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int, rows_BxR,
                        chunk: int = 32, mesh=None):
  """Mean loss over the positions that have a target: softmax over [target, num_negatives
  items from outside the row's input `rows_BxR`], drawn as `position_negatives`. `chunk`
  positions per loop step (see the module docstring); 0 computes every position at once.
  With a `mesh` of several devices (parallel.py), each device walks its own rows' positions
  (`split_over_devices`); the draws, the loss and its gradients are those of one device."""
  B, L, D = h_BxLxD.shape
  num_items = table_VxD.shape[0] - 1
  count = jnp.sum(targets_BxL > 0)
  if chunk <= 0:
    negatives_BxLxN = position_negatives(key, rows_BxR, num_items, L, num_negatives)
    _, logit_BxLxK, _ = jax.vmap(functools.partial(_logits, table_VxD=table_VxD))(
        h_BxLxD, targets_C=targets_BxL, negatives_CxN=negatives_BxLxN)
    loss_BxL = jax.vmap(loss_terms)(logit_BxLxK)[0]
    return jnp.sum(jnp.where(targets_BxL > 0, loss_BxL, 0.0)) / jnp.maximum(count, 1)
  block_total = lambda h, targets, table, key, rows, first: _packed_total(
      h, targets, table, key, num_negatives, rows, chunk, first)
  total = split_over_devices(mesh, block_total, h_BxLxD, targets_BxL, table_VxD, key, rows_BxR)
  return total / jnp.maximum(count, 1)


def pool_extra(num_negatives: int, row_items: int, num_items: int) -> int:
  """Draws beyond num_negatives in a `row_pool` pool, so that a row of `row_items` distinct
  items finds num_negatives draws outside it: the expected number of draws that land in the
  row plus six standard deviations (Poisson) and 4. On Beauty (12,101 items, rows of up to
  50) that is 12 extra draws for 256 negatives."""
  outside = max(num_items - row_items, 1)
  expected = num_negatives * row_items / outside
  return int(math.ceil(expected + 6 * math.sqrt(expected))) + 4


def pool_negatives(key, rows_BxR, num_items: int, num_negatives: int):
  """The `row_pool` draw: a pool (K,) of K = num_negatives + pool_extra(...) items uniform
  over 1..num_items, and per row which of them are its negatives (B, K): the first
  num_negatives pool entries that are not in the row's input. Filtering an i.i.d. uniform
  sequence by "not in the row" leaves an i.i.d. uniform sequence over the items outside it,
  so each row's negatives are num_negatives draws with replacement from outside the row,
  exactly as one row's draw under `row`; rows share the pool. (A row with fewer than
  num_negatives pool entries outside it, six standard deviations away, gets the ones it
  has.)"""
  B, R = rows_BxR.shape
  K = num_negatives + pool_extra(num_negatives, R, num_items)
  pool_K = jax.random.randint(key, (K,), 1, num_items + 1)
  in_row_BxK = jnp.any(pool_K[None, :, None] == rows_BxR[:, None, :], axis=2)
  taken_BxK = ~in_row_BxK & (jnp.cumsum(~in_row_BxK, axis=1) <= num_negatives)
  return pool_K, taken_BxK


def sampled_softmax_row_pool(h_BxLxD, targets_BxL, table_VxD, key, num_negatives: int,
                             rows_BxR):
  """Mean loss over the positions that have a target: softmax over [target, its row's
  num_negatives negatives from outside the row] (`pool_negatives`), shared by the row's
  positions. Each position's negatives are distributed as under `sampled_softmax_row`, so
  the loss has the same expectation; the logits are one (B * L, D) x (D, K) product, as for
  shared negatives, and a row's own choice is a mask."""
  num_items = table_VxD.shape[0] - 1
  pool_K, taken_BxK = pool_negatives(key, rows_BxR, num_items, num_negatives)
  neg_BxLxK = jnp.einsum("bld,kd->blk", h_BxLxD, table_VxD[pool_K])
  use_BxLxK = taken_BxK[:, None, :] & (pool_K[None, None, :] != targets_BxL[..., None])
  neg_BxLxK = jnp.where(use_BxLxK, neg_BxLxK, -jnp.inf)
  pos_BxL = jnp.sum(h_BxLxD * table_VxD[targets_BxL], axis=-1)
  loss_BxL = jnp.logaddexp(pos_BxL, jax.nn.logsumexp(neg_BxLxK, axis=-1)) - pos_BxL
  valid_BxL = targets_BxL > 0
  return jnp.sum(jnp.where(valid_BxL, loss_BxL, 0.0)) / jnp.maximum(jnp.sum(valid_BxL), 1)
