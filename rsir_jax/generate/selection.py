"""Per-user caps on a round's new rows, and the scores that choose which rows a user keeps
(rsir.cap, rsir.select; DA-RSIR's idea: a few well-chosen synthetic rows per real user
instead of all of them).

  first         the rows in the order they were generated (a user's first copies)
  random        a uniform choice, from the round's key
  margin        the fidelity margin: at each context of the row, how far inside the top tau
                the best not-yet-used item of the source ranks (tau - rank, >= 1 where the
                check passes); a row scores its tightest context. Higher: kept first.
  disagreement  MC dropout: the variance, over a few dropout draws, of the model's
                log-probability of each next item of the row, averaged over its positions.
                Higher (the model is least sure of the row): kept first.

The margin also gives the 'accept' tau schedule its ranks (first_check_ranks: how far down
the best of a real row's items ranks after its first item).

Both scores are jitted `lax.scan`s over positions on fixed-size chunks of rows (the catalogue
scores of one position at a time: never (rows, positions, items) at once).
"""

from __future__ import annotations

import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from rsir_jax.generate import output
from rsir_jax.models import Backbone

SELECT = ("first", "random", "margin", "disagreement")


def cap_per_owner(owners_N: np.ndarray, scores_N: np.ndarray, cap: int) -> np.ndarray:
  """Indices (ascending) of the rows kept when each owner keeps at most `cap` rows: those
  with the highest scores, earlier rows first among equal scores."""
  owners_N, scores_N = np.asarray(owners_N), np.asarray(scores_N, np.float64)
  n = len(owners_N)
  order_N = np.lexsort((np.arange(n), -scores_N, owners_N))  # by owner, best score, index
  sorted_owners_N = owners_N[order_N]
  starts_N = np.searchsorted(sorted_owners_N, sorted_owners_N, side="left")
  place_N = np.arange(n) - starts_N  # 0 for an owner's best row, 1 for the next, ...
  return np.sort(order_N[place_N < cap])


def _pad_chunk(array_NxW: np.ndarray, lo: int, size: int) -> np.ndarray:
  """Rows lo..lo+size-1 of `array_NxW`, zero rows past its end (a fixed compiled shape)."""
  chunk = array_NxW[lo:lo + size]
  if len(chunk) < size:
    chunk = np.concatenate([chunk, np.zeros((size - len(chunk),) + chunk.shape[1:],
                                            chunk.dtype)])
  return chunk


def _chunked(score_chunk, arrays: Sequence[np.ndarray], n: int, chunk_size: int) -> np.ndarray:
  """score_chunk(c, *chunks) for chunk c = 0, 1, ... of the first n rows of each array in
  `arrays`, chunk_size rows at a time (fewer when n is smaller; the last chunk zero-padded,
  so every call has one compiled shape); the results concatenated and cut to n rows."""
  size = min(chunk_size, max(n, 1))
  out = [np.asarray(score_chunk(c, *(_pad_chunk(a, lo, size) for a in arrays)))
         for c, lo in enumerate(range(0, n, size))]
  return np.concatenate(out)[:n] if out else np.zeros(0)


@functools.partial(jax.jit, static_argnames=("model", "tau"))
def _margins_chunk(params, sources_BxS, rows_BxL, *, model: Backbone, tau: int):
  """Per row: min over its contexts t = 1 .. length-1 of tau - rank(best unused source item
  given the first t items), rank = #{items scoring above it} (the sampler's check: it
  passes when rank < tau). Contexts with no unused source item are not judged; a row with
  no judged context scores tau."""
  L = rows_BxL.shape[1]
  h_BxLxD = model.encode(params, rows_BxL, train=False)
  lengths_B = jnp.sum(rows_BxL > 0, axis=1)
  # Where each source item first appears in the row (L: never): unused at context t iff >= t.
  hit_BxSxL = (sources_BxS[:, :, None] == rows_BxL[:, None, :]) & (sources_BxS[:, :, None] > 0)
  first_BxS = jnp.where(jnp.any(hit_BxSxL, axis=2), jnp.argmax(hit_BxSxL, axis=2), L)

  def body(margin_B, t):
    scores_BxV = model.score_all(params, h_BxLxD[:, t - 1])
    source_scores_BxS = jnp.take_along_axis(scores_BxV, sources_BxS, axis=1)
    unused_BxS = (first_BxS >= t) & (sources_BxS > 0)
    best_B = jnp.max(jnp.where(unused_BxS, source_scores_BxS, -jnp.inf), axis=1)
    rank_B = jnp.sum(scores_BxV > best_B[:, None], axis=1)
    judged_B = (t < lengths_B) & jnp.any(unused_BxS, axis=1)
    return jnp.where(judged_B, jnp.minimum(margin_B, tau - rank_B), margin_B), None

  start_B = jnp.full(rows_BxL.shape[:1], tau, jnp.int32)
  margin_B, _ = jax.lax.scan(body, start_B, jnp.arange(1, L))
  return margin_B


def margins(params, model: Backbone, sources: Sequence[np.ndarray], rows: Sequence[np.ndarray],
            tau: int, width: int | None = None, chunk_size: int = 1024) -> np.ndarray:
  """Each row's fidelity margin against its source (see the module docstring); rows and
  sources are cut to their most recent `width` items (default model.max_len; the sampler
  cuts sources to the generation length)."""
  width = width or model.max_len
  sources_NxS = output.source_matrix(sources, width)
  # Rows as wide as the longest: the scan runs over its positions only (the first-check
  # ranks of tau_schedule score rows of 2 items).
  rows_NxL = output.source_matrix(rows, min(width, max((len(r) for r in rows), default=1)))
  score_chunk = lambda c, sources_BxS, rows_BxL: _margins_chunk(
      params, sources_BxS, rows_BxL, model=model, tau=tau)
  return _chunked(score_chunk, [sources_NxS, rows_NxL], len(rows), chunk_size)


@functools.partial(jax.jit, static_argnames=("model", "draws"))
def _disagreement_chunk(params, rows_BxL, key, *, model: Backbone, draws: int):
  """Per row: the mean over positions t = 1 .. length-1 of the variance, over `draws`
  dropout draws, of log p(item t | items before t)."""
  L = rows_BxL.shape[1]
  encode = lambda k: model.encode(params, rows_BxL, train=True, dropout_key=k)
  h_KxBxLxD = jax.vmap(encode)(jax.random.split(key, draws))
  lengths_B = jnp.sum(rows_BxL > 0, axis=1)

  def body(total_B, t):
    logp_KxBxV = jax.nn.log_softmax(model.score_all(params, h_KxBxLxD[:, :, t - 1]), axis=-1)
    next_logp_KxB = jnp.take_along_axis(logp_KxBxV, rows_BxL[None, :, t, None], axis=2)[..., 0]
    var_B = jnp.var(next_logp_KxB, axis=0)
    return total_B + jnp.where(t < lengths_B, var_B, 0.0), None

  total_B, _ = jax.lax.scan(body, jnp.zeros(rows_BxL.shape[:1]), jnp.arange(1, L))
  return total_B / jnp.maximum(lengths_B - 1, 1)


def disagreement(params, model: Backbone, rows: Sequence[np.ndarray], key: jax.Array,
                 draws: int = 4, chunk_size: int = 512) -> np.ndarray:
  """Each row's MC-dropout disagreement (see the module docstring), chunk c drawing its
  dropout from fold_in(key, c)."""
  width = min(model.max_len, max((len(r) for r in rows), default=1))  # scan only that far
  rows_NxL = output.source_matrix(rows, width)
  score_chunk = lambda c, rows_BxL: _disagreement_chunk(
      params, rows_BxL, jax.random.fold_in(key, c), model=model, draws=draws)
  return _chunked(score_chunk, [rows_NxL], len(rows), chunk_size)


def scores(select: str, params, model: Backbone, sources: Sequence[np.ndarray],
           rows: Sequence[np.ndarray], key: jax.Array, tau: int, width: int,
           draws: int) -> np.ndarray:
  """The score by which rsir.select ranks `rows` (generated from `sources`, one each; both
  cut to `width` items for the margin): higher is kept first."""
  if select == "first":
    return -np.arange(len(rows), dtype=np.float64)
  if select == "random":
    return np.asarray(jax.random.uniform(key, (len(rows),)))
  if select == "margin":
    return margins(params, model, sources, rows, tau, width)
  if select == "disagreement":
    return disagreement(params, model, rows, key, draws)
  raise ValueError(f"rsir.select={select!r} is not one of {SELECT}")


def first_check_ranks(params, model, real_rows: Sequence[np.ndarray], width: int) -> np.ndarray:
  """Per real row (cut to its most recent `width` items, as the sampler cuts its sources)
  with 2 or more distinct items: the rank (items scoring above it) of the best of the row's
  other items, given its first item: the row passes the first check at any tau above this
  rank."""
  rows = [np.asarray(r)[-width:] for r in real_rows]
  rows = [r for r in rows if len(set(r.tolist())) >= 2]
  big = 1 << 30  # margin = big - rank for every row: no judged context is left at `big`
  margin_N = margins(params, model, rows, [r[:2] for r in rows], big, width)
  return (big - margin_N).astype(np.int64)
