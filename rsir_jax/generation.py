"""Generating a whole round: every source row is rolled out m times, in chunks of a fixed
number of trajectories (one compiled shape; within a chunk, `slots` trajectories advance
together and refill as they stop). Each finished chunk is written to disk with the seconds it
took, so an interrupted round resumes at the first missing chunk and its generation time
still adds up over every process that worked on it."""

from __future__ import annotations

import logging
import os
import time
from typing import NamedTuple, Sequence

import jax
import numpy as np

from rsir_jax import parallel, sampler
from rsir_jax.files import Writer
from rsir_jax.models import Backbone

log = logging.getLogger(__name__)


class Generated(NamedTuple):
  """A round's trajectories: items (N, max_len), lengths (N,), stop reasons (N,), the index
  of each trajectory's source row (N,), and the seconds spent generating them."""
  items: np.ndarray
  lengths: np.ndarray
  reasons: np.ndarray
  source_of: np.ndarray
  seconds: float


def source_matrix(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
  """(N, width) right-padded sources: the most recent `width` items of each row."""
  out_NxS = np.zeros((len(rows), width), np.int32)
  for i, row in enumerate(rows):
    tail = row[-width:]
    out_NxS[i, :len(tail)] = tail
  return out_NxS


def generate_round(params, model: Backbone, sampling: sampler.SamplerConfig,
                   rows: Sequence[np.ndarray], copies: int, key: jax.Array,
                   chunk_size: int, chunk_dir: str | None = None, mesh=None,
                   slots: int = 0, writer: Writer | None = None) -> Generated:
  """Rolls out `copies` trajectories from every row with at least 2 items.

  With `chunk_dir`, finished chunks are stored there (by `writer`, default: this process)
  and reused on a rerun with the same inputs. With a `mesh`, each chunk's trajectories are
  split over its devices (params replicated). `slots`: trajectories advanced together within
  a chunk (see `sampler.generate`; 0 = all). Trajectory j's randomness comes from
  fold_in(key, j): neither `chunk_size` nor `slots` changes the result.
  """
  writer = writer or Writer()
  eligible = np.array([i for i, r in enumerate(rows) if len(r) >= 2], dtype=np.int64)
  if eligible.size == 0:
    raise ValueError("no training row has 2 or more items to generate from")
  if mesh is not None:
    params, key = parallel.replicate(mesh, params), parallel.replicate(mesh, key)
  sources_NxS = np.repeat(source_matrix([rows[i] for i in eligible], sampling.max_len),
                          copies, axis=0)
  n = len(sources_NxS)
  num_chunks = -(-n // chunk_size)
  if chunk_dir:
    os.makedirs(chunk_dir, exist_ok=True)
  parts, t0, generated = [], time.perf_counter(), 0
  for c in range(num_chunks):
    path = (os.path.join(chunk_dir, f"chunk_{c:05d}_of_{num_chunks:05d}_size_{chunk_size}.npz")
            if chunk_dir else None)
    if path and os.path.exists(path):
      with np.load(path) as f:
        seconds = float(f["seconds"]) if "seconds" in f else 0.0  # older chunks: not timed
        parts.append((f["items"], f["lengths"], f["reasons"], seconds))
      continue
    lo, hi = c * chunk_size, min((c + 1) * chunk_size, n)
    parts.append(_generate_chunk(params, model, sampling, sources_NxS, lo, hi, chunk_size, key,
                                 mesh, slots))
    if path:
      writer.npz(path, **dict(zip(("items", "lengths", "reasons", "seconds"), parts[-1])))
    generated += hi - lo
    log.info("generated %d/%d trajectories (%.0f/s)", hi, n,
             generated / (time.perf_counter() - t0))
  items, lengths, reasons, seconds = zip(*parts)
  return Generated(np.concatenate(items), np.concatenate(lengths), np.concatenate(reasons),
                   np.repeat(eligible, copies), float(sum(seconds)))


def _generate_chunk(params, model, sampling, sources_NxS, lo, hi, chunk_size, key, mesh, slots):
  """Trajectories lo..hi-1 as (items, lengths, reasons, seconds taken). A short last chunk
  is padded with copies of real sources to the compiled shape; they are not rolled out
  (count = hi - lo) and are trimmed."""
  t0 = time.perf_counter()
  n = len(sources_NxS)
  idx = np.arange(lo, lo + chunk_size) % n if hi - lo < chunk_size else np.arange(lo, hi)
  sources_BxS = sources_NxS[idx]
  if mesh is not None:
    sources_BxS = parallel.shard_batch(mesh, sources_BxS)
  items, lengths, reasons = parallel.to_host(sampler.generate(
      params, sources_BxS, key, lo, hi - lo, model=model, sampling=sampling, slots=slots))
  return items[:hi - lo], lengths[:hi - lo], reasons[:hi - lo], time.perf_counter() - t0
