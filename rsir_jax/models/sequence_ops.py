"""Random edits of one right-padded item sequence, as pure jax functions of an explicit key:
crop, mask, reorder (CL4SRec's three views) and insert (CoSeRec's insertion). They serve
CL4SRec's contrastive views (models/cl4srec.py, inside the train step) and the heuristic
augmenters of an RSIR round (generate/augmenters.py); `jax.vmap` them over a batch.

Each takes `row_L` (items first, then padding 0), its length `n` (may be traced) and a rate,
and returns (the edited row, right-padded to the same width unless said otherwise, its new
length). How many items an edit touches follows the published rule: floor(rate * n).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _span(key, n, rate, at_least=0):
  """(start, size) of a uniformly placed contiguous span of max(floor(rate * n), at_least)
  items (0 for an empty row)."""
  size = jnp.maximum(jnp.floor(rate * n).astype(jnp.int32), at_least)
  size = jnp.where(n > 0, size, 0)
  start = jax.random.randint(key, (), 0, jnp.maximum(n - size, 0) + 1)
  return start, size


def _choose(key, n, count, width):
  """A (width,) mask of `count` distinct positions drawn uniformly among 0..n-1."""
  u_L = jnp.where(jnp.arange(width) < n, jax.random.uniform(key, (width,)), 2.0)
  rank_L = jnp.argsort(jnp.argsort(u_L))  # rank of each position's draw
  return rank_L < count


def crop(key, row_L, n, rate):
  """A contiguous sub-span of max(floor(rate * n), 1) items (CL4SRec's crop), moved to the
  front."""
  start, size = _span(key, n, rate, at_least=1)
  idx_L = jnp.arange(row_L.shape[0])
  out_L = jnp.take(row_L, jnp.clip(start + idx_L, 0, row_L.shape[0] - 1))
  return jnp.where(idx_L < size, out_L, 0), size


def mask(key, row_L, n, rate, mask_id):
  """floor(rate * n) items, at distinct uniform positions, replaced by `mask_id` (CL4SRec's
  mask; the token is the model's, not an item)."""
  chosen_L = _choose(key, n, jnp.floor(rate * n).astype(jnp.int32), row_L.shape[0])
  return jnp.where(chosen_L, mask_id, row_L), n


def reorder(key, row_L, n, rate):
  """The items of a uniformly placed contiguous span of floor(rate * n) items shuffled
  (CL4SRec's reorder; CoSeRec's and the RSIR paper's Reordering baseline)."""
  span_key, order_key = jax.random.split(key)
  start, size = _span(span_key, n, rate)
  idx_L = jnp.arange(row_L.shape[0])
  inside_L = (idx_L >= start) & (idx_L < start + size)
  # Outside the span a position sorts by its own index; inside, by a random value in
  # [start, start + size): a stable sort shuffles the span and leaves the rest in place.
  sort_key_L = jnp.where(inside_L, start + size * jax.random.uniform(order_key, idx_L.shape),
                         idx_L.astype(jnp.float32))
  return row_L[jnp.argsort(sort_key_L, stable=True)], n


def insert(key, row_L, n, rate, similar_V):
  """CoSeRec's insertion: at max(floor(rate * n), 1) distinct uniform positions, the item
  most similar to the one there (`similar_V[item]`) is inserted just before it. Returns a
  row of width 2 * L (room for any number of insertions) and its length n + insertions."""
  width = row_L.shape[0]
  count = jnp.where(n > 0, jnp.maximum(jnp.floor(rate * n).astype(jnp.int32), 1), 0)
  chosen_L = _choose(key, n, count, width)
  before_L = jnp.cumsum(chosen_L) - chosen_L  # insertions before position i
  own_pos_L = jnp.arange(width) + before_L + chosen_L  # an inserted item precedes its own
  out = jnp.zeros((2 * width,), row_L.dtype)
  real_L = jnp.arange(width) < n
  out = out.at[jnp.where(real_L, own_pos_L, 2 * width)].set(row_L, mode="drop")
  out = out.at[jnp.where(real_L & chosen_L, own_pos_L - 1, 2 * width)].set(
      similar_V[row_L], mode="drop")
  return out, n + count
