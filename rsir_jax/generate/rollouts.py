"""Generating a whole round: every source row is rolled out m times, in chunks of a fixed
number of trajectories (one compiled shape; within a chunk, `slots` trajectories advance
together and refill as they stop). Each finished chunk is written to disk with the seconds it
took, so an interrupted round resumes at the first missing chunk and its generation time
still adds up over every process that worked on it."""

from __future__ import annotations

import logging
import time
from typing import Sequence

import jax
import numpy as np

from rsir_jax import parallel, storage
from rsir_jax.files import Writer
from rsir_jax.generate import sampler
from rsir_jax.generate.output import Generated, source_matrix
from rsir_jax.models import Backbone

log = logging.getLogger(__name__)


_FIELDS = sampler.Rollouts._fields  # what a chunk file holds, with its "seconds"


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
    storage.makedirs(chunk_dir)
  parts, t0, generated = [], time.perf_counter(), 0
  for c in range(num_chunks):
    path = (storage.join(chunk_dir, f"chunk_{c:05d}_of_{num_chunks:05d}_size_{chunk_size}.npz")
            if chunk_dir else None)
    if path and storage.exists(path):
      with np.load(storage.loadable(path)) as f:
        if set(_FIELDS) <= set(f.files):  # else written by an older version: redo it
          parts.append(tuple(f[k] for k in _FIELDS) + (float(f["seconds"]),))
          continue
    lo, hi = c * chunk_size, min((c + 1) * chunk_size, n)
    parts.append(_generate_chunk(params, model, sampling, sources_NxS, lo, hi, chunk_size, key,
                                 mesh, slots))
    if path:
      writer.npz(path, **dict(zip(_FIELDS + ("seconds",), parts[-1])))
    generated += hi - lo
    log.info("generated %d/%d trajectories (%.0f/s)", hi, n,
             generated / (time.perf_counter() - t0))
  *arrays, seconds = zip(*parts)
  return Generated(*(np.concatenate(a) for a in arrays), np.repeat(eligible, copies),
                   float(sum(seconds)))


def _generate_chunk(params, model, sampling, sources_NxS, lo, hi, chunk_size, key, mesh, slots):
  """Trajectories lo..hi-1: the Rollouts fields, then the seconds taken. A short last chunk
  is padded with copies of real sources to the compiled shape; they are not rolled out
  (count = hi - lo) and are trimmed."""
  t0 = time.perf_counter()
  n = len(sources_NxS)
  idx = np.arange(lo, lo + chunk_size) % n if hi - lo < chunk_size else np.arange(lo, hi)
  sources_BxS = sources_NxS[idx]
  if mesh is not None:
    sources_BxS = parallel.shard_batch(mesh, sources_BxS)
  out = parallel.to_host(sampler.generate(
      params, sources_BxS, key, lo, hi - lo, model=model, sampling=sampling, slots=slots))
  return tuple(np.asarray(a)[:hi - lo] for a in out) + (time.perf_counter() - t0,)


def first_check_pass_rate(params, model: Backbone, sampling: sampler.SamplerConfig,
                          rows: Sequence[np.ndarray], batch_size: int = 4096) -> float:
  """Teacher-forced share of `rows` (as sources) whose first fidelity check passes: the
  context is the row's first item, T the rest of the row (the scan scorer, one step). Rows
  with nothing left to judge after their first item are left out."""
  rows = [r for r in rows if len(set(np.asarray(r).tolist())) >= 2]
  if not rows:
    return 0.0
  sources_NxS = source_matrix(rows, sampling.max_len)
  firsts_Nx1 = sources_NxS[:, :1]
  passed = []
  for lo in range(0, len(rows), batch_size):
    idx = np.arange(lo, lo + batch_size) % len(rows)  # a short last batch is padded, trimmed
    ok_BxT, _ = sampler.score_sequences(params, sources_NxS[idx], firsts_Nx1[idx], model=model,
                                        sampling=sampling)
    passed.append(np.asarray(ok_BxT)[:min(batch_size, len(rows) - lo), 1])
  return float(np.mean(np.concatenate(passed)))
