"""The data-augmentation baselines RSIR is compared with, as drop-in generators of a round
(`rsir.generator`): every source row gets `rsir.m` edited copies, which then go through the
same length filter, de-duplication and counting as RSIR's trajectories (filtering.py).

  reorder   Reordering: a random contiguous span of floor(rsir.reorder_rate * n) items is
            shuffled (default 0.6, CL4SRec's; CoSeRec's 0.2 shuffles no row shorter than 10
            items, since floor(0.2 n) <= 1, and most training rows of Beauty are).
  insert    Insertion: at max(floor(rsir.insert_rate * n), 1) random positions, the item most
            similar to the item there is inserted before it (CoSeRec's default rate 0.4);
            similarity is the cosine of the round's model item embeddings.
  crop      a random contiguous span of floor(rsir.crop_rate * n) items (CL4SRec's crop).

A source is its row's most recent max_len items (what the model reads and what RSIR's
trajectories are limited to); an insertion's row keeps its most recent max_len items. CL4SRec's
mask has no row counterpart (a [mask] token is not an item). Copy j of the whole round draws
from fold_in(key, j), so a round is a function of its key, whatever the chunking.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from rsir_jax.generate import output
from rsir_jax.models import sequence_ops

log = logging.getLogger(__name__)

HEURISTICS = ("reorder", "insert", "crop")  # the edits; generators.py wraps each as a generator
NO_REASON = -1  # the stop reason of an edited row: it did not stop, it was edited


def most_similar_items(item_table_VxD, chunk: int = 1024) -> np.ndarray:
  """(V,) the id of each item's most similar other item by cosine of its embedding (row 0,
  padding, maps to 0 and is never chosen)."""
  table_VxD = jnp.asarray(item_table_VxD, jnp.float32)
  unit_VxD = table_VxD / jnp.maximum(jnp.linalg.norm(table_VxD, axis=1, keepdims=True), 1e-12)
  num = table_VxD.shape[0]
  out = [_argmax_cosine(unit_VxD, lo, chunk) for lo in range(0, num, chunk)]
  similar_V = np.concatenate([np.asarray(o) for o in out])[:num]
  similar_V[0] = 0
  return similar_V


@functools.partial(jax.jit, static_argnums=(2,))
def _argmax_cosine(unit_VxD, lo, chunk):
  """For items lo..lo+chunk-1 (clipped ids past the end are trimmed by the caller): the
  most similar item other than itself and padding."""
  num = unit_VxD.shape[0]
  ids_C = jnp.minimum(lo + jnp.arange(chunk), num - 1)
  sim_CxV = unit_VxD[ids_C] @ unit_VxD.T
  col_V = jnp.arange(num)
  sim_CxV = jnp.where((col_V[None, :] == ids_C[:, None]) | (col_V[None, :] == 0), -jnp.inf,
                      sim_CxV)
  return jnp.argmax(sim_CxV, axis=1).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=("kind", "rate"))
def edit_rows(key, rows_BxL, lengths_B, first_index, similar_V, *, kind: str, rate: float):
  """Edits row b with key fold_in(key, first_index + b): (items (B, L) for reorder and crop,
  (B, 2L) for insert; new lengths (B,))."""
  keys_B = jax.vmap(lambda j: jax.random.fold_in(key, j))(first_index + jnp.arange(
      rows_BxL.shape[0]))
  if kind == "reorder":
    edit = lambda k, r, n: sequence_ops.reorder(k, r, n, rate)
  elif kind == "crop":
    edit = lambda k, r, n: sequence_ops.crop(k, r, n, rate)
  elif kind == "insert":
    edit = lambda k, r, n: sequence_ops.insert(k, r, n, rate, similar_V)
  else:
    raise ValueError(f"rsir.generator={kind!r}: not a heuristic; use one of {HEURISTICS}")
  return jax.vmap(edit)(keys_B, rows_BxL, lengths_B)


def generate_round(kind: str, rate: float, rows: Sequence[np.ndarray], copies: int,
                   key: jax.Array, max_len: int, item_table_VxD=None,
                   chunk_size: int = 16384) -> output.Generated:
  """`copies` edited copies of every row with at least 2 items, as a output.Generated
  (no item is forced, no check is run) so that filtering treats them like RSIR's
  trajectories. Insertion needs the model's `item_table_VxD`."""
  if kind not in HEURISTICS:
    raise ValueError(f"rsir.generator={kind!r}: not a heuristic; use one of {HEURISTICS}")
  t0 = time.perf_counter()
  eligible = np.array([i for i, r in enumerate(rows) if len(r) >= 2], dtype=np.int64)
  if eligible.size == 0:
    raise ValueError("no training row has 2 or more items to augment")
  sources_NxL = np.repeat(output.source_matrix([rows[i] for i in eligible], max_len),
                          copies, axis=0)
  lengths_N = np.count_nonzero(sources_NxL, axis=1).astype(np.int32)
  similar_V = (jnp.asarray(most_similar_items(item_table_VxD)) if kind == "insert"
               else jnp.zeros((1,), jnp.int32))
  n, items, lengths = len(sources_NxL), [], []
  for lo in range(0, n, chunk_size):
    idx = np.arange(lo, lo + chunk_size) % n  # one compiled shape; the padding is trimmed
    out_BxW, len_B = edit_rows(key, sources_NxL[idx], lengths_N[idx], lo, similar_V,
                               kind=kind, rate=float(rate))
    keep = min(chunk_size, n - lo)
    items.append(np.asarray(out_BxW)[:keep])
    lengths.append(np.asarray(len_B)[:keep])
  items_NxW, lengths_N = np.concatenate(items), np.concatenate(lengths)
  if items_NxW.shape[1] > max_len:  # insertion: keep each row's most recent max_len items
    items_NxW = output.source_matrix(
        [row[:n] for row, n in zip(items_NxW, lengths_N)], max_len)
    lengths_N = np.minimum(lengths_N, max_len)
  zeros = np.zeros(n, np.int32)
  seconds = time.perf_counter() - t0
  log.info("%s: %d edited rows from %d sources in %.1f s", kind, n, eligible.size, seconds)
  return output.Generated(items_NxW, lengths_N, np.full(n, NO_REASON, np.int32), zeros,
                              zeros, np.repeat(eligible, copies), seconds)


def match_index(lengths_N: np.ndarray, target: int, key: jax.Array, by: str = "rows"
                ) -> np.ndarray:
  """Indices (ascending) of a uniform random subset, drawn from `key`, of rows with lengths
  `lengths_N`, holding at most `target` rows (by='rows') or interactions (by='interactions':
  rows taken in a random order while the total stays within `target`), to compare augmenters
  at the amount of data another generator added."""
  lengths_N = np.asarray(lengths_N, np.int64)
  n = len(lengths_N)
  if (n if by == "rows" else int(lengths_N.sum())) <= target:
    return np.arange(n)
  rng = np.random.default_rng(int(jax.random.randint(key, (), 0, 2**31 - 1)))
  if by == "rows":
    return np.sort(rng.choice(n, target, replace=False))
  order_N = rng.permutation(n)
  count = int(np.searchsorted(np.cumsum(lengths_N[order_N]), target, side="right"))
  return np.sort(order_N[:count])
