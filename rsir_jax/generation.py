"""Generating a whole round: every training row is a source, rolled out m times, in chunks of
a fixed number of trajectories (one compiled shape; within a chunk, `slots` trajectories
advance together and refill as they stop). Each finished chunk is written to disk,
so an interrupted round resumes at the first missing chunk."""

from __future__ import annotations

import logging
import os
import time
from typing import Sequence

import jax
import numpy as np

from rsir_jax import model, parallel, sampler

log = logging.getLogger(__name__)


def source_matrix(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
  """(N, width) right-padded sources: the most recent `width` items of each row."""
  out_NxS = np.zeros((len(rows), width), np.int32)
  for i, row in enumerate(rows):
    tail = row[-width:]
    out_NxS[i, :len(tail)] = tail
  return out_NxS


def _save_npz(path: str, **arrays) -> None:
  tmp = path + ".tmp.npz"
  np.savez(tmp, **arrays)
  os.replace(tmp, path)


def generate_round(params, cfg: model.SASRecConfig, gen: sampler.GenConfig,
                   rows: Sequence[np.ndarray], copies: int, key: jax.Array,
                   chunk_size: int, chunk_dir: str | None = None, mesh=None,
                   slots: int = 0):
  """Rolls out `copies` trajectories from every row with at least 2 items.

  Returns (items (N, max_len), lengths (N,), reasons (N,), source row index (N,)). With
  `chunk_dir`, finished chunks are stored there and reused on a rerun with the same inputs.
  With a `mesh`, each chunk's trajectories are split over its devices (params replicated).
  `slots`: trajectories advanced together within a chunk (see `sampler.generate`; 0 = all).
  Trajectory j's randomness comes from fold_in(key, j): neither `chunk_size` nor `slots`
  changes the result.
  """
  eligible = np.array([i for i, r in enumerate(rows) if len(r) >= 2], dtype=np.int64)
  if eligible.size == 0:
    raise ValueError("no training row has 2 or more items to generate from")
  if mesh is not None:
    parallel.check_divisible("rsir.chunk_size", chunk_size, mesh)
    params, key = parallel.replicate(mesh, params), parallel.replicate(mesh, key)
  source_of = np.repeat(eligible, copies)
  sources = source_matrix([rows[i] for i in eligible], gen.max_len)
  sources_NxS = np.repeat(sources, copies, axis=0)
  n = len(sources_NxS)
  num_chunks = -(-n // chunk_size)
  if chunk_dir:
    os.makedirs(chunk_dir, exist_ok=True)
  parts = []
  t0, generated = time.perf_counter(), 0
  for c in range(num_chunks):
    path = (os.path.join(chunk_dir, f"chunk_{c:05d}_of_{num_chunks:05d}_size_{chunk_size}.npz")
            if chunk_dir else None)
    if path and os.path.exists(path):
      with np.load(path) as f:
        parts.append((f["items"], f["lengths"], f["reasons"]))
      continue
    lo, hi = c * chunk_size, min((c + 1) * chunk_size, n)
    # A short last chunk is padded with copies of real sources to the same shape; they are
    # not rolled out (count = hi - lo) and are trimmed.
    idx = np.arange(lo, lo + chunk_size) % n if hi - lo < chunk_size else np.arange(lo, hi)
    sources_BxS = sources_NxS[idx]
    if mesh is not None:
      sources_BxS = parallel.shard_batch(mesh, sources_BxS)
    items, lengths, reasons = parallel.to_host(sampler.generate(
        params, sources_BxS, key, lo, hi - lo, cfg=cfg, gen=gen, slots=slots))
    part = (items[:hi - lo], lengths[:hi - lo], reasons[:hi - lo])
    if path and parallel.is_primary():
      _save_npz(path, items=part[0], lengths=part[1], reasons=part[2])
    parts.append(part)
    generated += hi - lo
    log.info("generated %d/%d trajectories (%.0f/s)", hi, n,
             generated / (time.perf_counter() - t0))
  items, lengths, reasons = (np.concatenate(p) for p in zip(*parts))
  return items, lengths, reasons, source_of
