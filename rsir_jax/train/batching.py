"""Length-bucketed batches, so that compute follows real sequence lengths and not max_len.

The average Beauty sequence has ~9 items against a maximum length of 50: padding every row to
50 would spend most of each step on padding. Rows are instead grouped into a few static
lengths ("buckets"); each bucket length compiles once and is reused for every epoch, round and
dataset afterwards. With `bucket_lengths=(max_len,)` this degrades to fixed-length padding (the
reference the benchmark compares against).

Everything here is host-side numpy: it only decides which rows go together and pads them.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import flax.struct
import numpy as np


@flax.struct.dataclass
class TrainBatch:
  """One training batch: inputs and targets (B, L), 0 = padding / no target. `last_only` is
  static (part of the pytree's structure, so a jitted step compiles per layout): True for
  prefix rows, whose one target sits at the row's last real position."""
  inputs_BxL: np.ndarray
  targets_BxL: np.ndarray
  last_only: bool = flax.struct.field(pytree_node=False, default=False)


def bucket_sizes(max_len: int, bucket_lengths: Sequence[int]) -> tuple[int, ...]:
  """Sorted, de-duplicated bucket lengths capped at max_len, always ending with max_len."""
  sizes = sorted({int(b) for b in bucket_lengths if 0 < int(b) < max_len} | {max_len})
  return tuple(sizes)


def _bucket_of(lengths_N: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
  """Index of the smallest bucket that fits each length (lengths must be <= sizes[-1])."""
  return np.searchsorted(np.asarray(sizes), lengths_N, side="left")


def _pad_rows(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
  """Right-pads int arrays with 0 into a (len(rows), width) int32 matrix."""
  out_NxW = np.zeros((len(rows), width), dtype=np.int32)
  for i, row in enumerate(rows):
    out_NxW[i, :len(row)] = row
  return out_NxW


@dataclasses.dataclass(frozen=True)
class TrainBuckets:
  """Training rows grouped by length: per bucket, inputs and targets (N_b, L_b), 0 = no target.

  Sequence rows (`prefix_rows=False`): each sequence keeps its most recent max_len + 1 items;
  input = s[:-1], target = s[1:], so every position of every row is trained.
  Prefix rows (`prefix_rows=True`, RecBole's layout): every prefix s[:t+1] of every sequence is
  its own row, input = its last max_len items before s[t], one target s[t] at its last
  position. The targets are the same (plus those that max_len cuts from long sequences), but
  each one gets its own dropout draw and its own place in the shuffle.
  Sequences shorter than 2 items have no target and are left out (`num_skipped`).
  """
  sizes: tuple[int, ...]
  inputs: tuple[np.ndarray, ...]
  targets: tuple[np.ndarray, ...]
  num_skipped: int
  prefix_rows: bool = False

  @property
  def num_rows(self) -> int:
    return sum(len(x) for x in self.inputs)

  @property
  def num_targets(self) -> int:
    return int(sum((t > 0).sum() for t in self.targets))


def _prefix_rows(sequences: Sequence[np.ndarray], max_len: int) -> tuple[list, list]:
  inputs, targets = [], []
  for s in sequences:
    s = np.asarray(s, dtype=np.int32)
    for t in range(1, len(s)):
      row = s[max(0, t - max_len):t]
      target = np.zeros(len(row), np.int32)
      target[-1] = s[t]
      inputs.append(row)
      targets.append(target)
  return inputs, targets


def make_train_buckets(sequences: Sequence[np.ndarray], max_len: int,
                       bucket_lengths: Sequence[int], prefix_rows: bool = False) -> TrainBuckets:
  """Groups training sequences (or, with `prefix_rows`, all their prefixes) into length
  buckets (see TrainBuckets)."""
  sizes = bucket_sizes(max_len, bucket_lengths)
  num_kept = sum(1 for s in sequences if len(s) >= 2)
  if prefix_rows:
    row_inputs, row_targets = _prefix_rows(sequences, max_len)
  else:
    kept = [np.asarray(s[-(max_len + 1):], dtype=np.int32) for s in sequences if len(s) >= 2]
    row_inputs, row_targets = [r[:-1] for r in kept], [r[1:] for r in kept]
  lengths_N = np.array([len(r) for r in row_inputs], dtype=np.int64)
  which_N = _bucket_of(lengths_N, sizes)
  inputs, targets = [], []
  for b, width in enumerate(sizes):
    idx = np.flatnonzero(which_N == b)
    inputs.append(_pad_rows([row_inputs[i] for i in idx], width))
    targets.append(_pad_rows([row_targets[i] for i in idx], width))
  return TrainBuckets(sizes, tuple(inputs), tuple(targets), len(sequences) - num_kept,
                      prefix_rows)


def epoch_plan(buckets: TrainBuckets, batch_size: int, seed: int,
               epoch: int) -> list[tuple[int, np.ndarray]]:
  """The batches of one epoch as (bucket index, row indices), in a shuffled order that
  depends only on (seed, epoch): a resumed run replays exactly the same epoch."""
  rng = np.random.default_rng([seed, epoch, 0x5EED])
  plan = []
  for b, inputs in enumerate(buckets.inputs):
    order = rng.permutation(len(inputs))
    plan.extend((b, order[i:i + batch_size]) for i in range(0, len(order), batch_size))
  rng.shuffle(plan)
  return plan


def gather_batch(buckets: TrainBuckets, bucket: int, rows: np.ndarray,
                 batch_size: int) -> TrainBatch:
  """The TrainBatch of `rows` of one bucket, shape (batch_size, L_b), marked with the
  buckets' layout; a short last batch is filled with empty rows whose targets are all 0, so
  they carry no loss and the shape stays static."""
  inputs_BxL = np.zeros((batch_size, buckets.sizes[bucket]), dtype=np.int32)
  targets_BxL = np.zeros_like(inputs_BxL)
  inputs_BxL[:len(rows)] = buckets.inputs[bucket][rows]
  targets_BxL[:len(rows)] = buckets.targets[bucket][rows]
  return TrainBatch(inputs_BxL, targets_BxL, last_only=buckets.prefix_rows)


def stack_batches(batches: Sequence[TrainBatch]) -> TrainBatch:
  """Same-shape batches as one TrainBatch of stacked (K, B, L) arrays (for several train
  steps in one call)."""
  return TrainBatch(np.stack([b.inputs_BxL for b in batches]),
                    np.stack([b.targets_BxL for b in batches]),
                    last_only=batches[0].last_only)


@dataclasses.dataclass(frozen=True)
class EvalBatch:
  """One evaluation batch: model inputs (B, L) holding the most recent items, the full
  history (B, H) used to mask already-seen items, targets (B,) with 0 for filler rows."""
  inputs: np.ndarray
  history: np.ndarray
  targets: np.ndarray


def make_eval_batches(inputs: Sequence[np.ndarray], targets: np.ndarray, max_len: int,
                      bucket_lengths: Sequence[int], batch_size: int) -> list[EvalBatch]:
  """Buckets evaluation users by the length of their input history. Bucket sizes beyond
  max_len keep doubling, so long histories are fully masked while the model still sees only
  the last max_len items."""
  lengths_N = np.array([len(x) for x in inputs], dtype=np.int64)
  if len(lengths_N) and lengths_N.min() < 1:
    raise ValueError("every evaluated user needs at least one input item")
  sizes = list(bucket_sizes(max_len, bucket_lengths))
  longest = int(lengths_N.max()) if len(lengths_N) else 1
  while sizes[-1] < longest:
    sizes.append(sizes[-1] * 2)
  which_N = _bucket_of(lengths_N, sizes)
  batches = []
  for b, width in enumerate(sizes):
    idx = np.flatnonzero(which_N == b)
    for start in range(0, len(idx), batch_size):
      chunk = idx[start:start + batch_size]
      history = [np.asarray(inputs[i], dtype=np.int32) for i in chunk]
      history += [np.zeros(0, np.int32)] * (batch_size - len(chunk))
      recent = [h[-max_len:] for h in history]
      tgt = np.zeros(batch_size, dtype=np.int32)
      tgt[:len(chunk)] = targets[chunk]
      batches.append(EvalBatch(_pad_rows(recent, min(width, max_len)),
                               _pad_rows(history, width), tgt))
  return batches
