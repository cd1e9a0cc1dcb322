"""How regular a set of item sequences is: approximate entropy (ApEn), pooled over rows.

The RSIR paper describes its data by an approximate-entropy statistic as well as density, and
Shen et al. ("Optimizing Sequential Recommendation Models with Scaling Laws and Approximate
Entropy", arXiv 2412.00430) use one to rate recommendation data; in what we could read, neither
fixes how it is computed on item sequences: the window length m, the tolerance r, or whether it
is taken per user or over the whole dataset. So this module defines one statistic from Pincus's
ApEn (PNAS 88:2297, 1991) and says which choices it makes:

  * r = 0. Item ids are labels, not magnitudes, so two windows match only when they are equal
    (with integer ids, any r < 1 under Pincus's maximum-norm distance says the same).
  * Pooled over rows. Windows are taken inside each row (never across two rows) and counted
    over the whole dataset. Per row, ApEn says little here: a row without a repeated item has
    only distinct windows, and its ApEn is then a function of its length alone.
  * m = 1 and m = 2 (Pincus's usual choice) both. On data as sparse as these benchmarks
    almost every window of 3 items occurs once, so ApEn(2) sits near 0 for real, shuffled
    and random rows alike. ApEn(1) differs between them, though not only by their order (below).

With n_w windows of length w in all and c(x) the number of times window x occurs,

  Phi(w) = sum over distinct windows x of (c(x) / n_w) * log(c(x) / n_w)   (natural log)
  ApEn(m) = Phi(m) - Phi(m + 1)

which for one row is Pincus's definition exactly. (For a periodic row it can come out a
little below 0, as Phi(m) averages over one window more than Phi(m + 1); some implementations
report its absolute value, this one does not.) Phi(w) is minus the plug-in entropy of the
w-grams, so ApEn(m) estimates the entropy of the next item given the m before it: low where
patterns repeat. On sparse data that estimate is biased: when most (m + 1)-grams occur once,
ApEn(m) is about log(number of windows) minus the entropy of the m-grams, so a skewed
item popularity raises it whatever the order of the items. Read it beside controls made of
the same rows (`python -m rsir_jax.tools.data_regularity`: each row shuffled in place, and
items drawn uniformly at random), and compare datasets of different sizes with care.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _window_codes(flat: np.ndarray, row_ids: np.ndarray, width: int) -> np.ndarray:
  """One integer per window of `width` consecutive items inside a row (equal windows, equal
  codes), built up one item at a time: a window's code is the rank of the pair (code of its
  first width - 1 items, its last item), which stays below the number of windows, so no width
  overflows."""
  if width == 1:
    starts = np.arange(len(flat))
  else:  # windows whose first and last item are in the same row
    starts = np.flatnonzero(row_ids[width - 1:] == row_ids[:len(row_ids) - width + 1])
  codes = flat[starts].astype(np.int64)
  span = int(flat.max()) + 1 if len(flat) else 1
  for offset in range(1, width):
    # codes < len(flat) < 2**31 and item ids < 2**31, so the pair fits one int64
    pairs = codes * span + flat[starts + offset].astype(np.int64)
    _, codes = np.unique(pairs, return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64)
  return codes


def _phi(flat: np.ndarray, row_ids: np.ndarray, width: int) -> float | None:
  """Phi(width) of the module docstring; None when no row has `width` items."""
  codes = _window_codes(flat, row_ids, width)
  if not len(codes):
    return None
  _, counts = np.unique(codes, return_counts=True)
  p = counts / len(codes)
  return float(np.sum(p * np.log(p)))


def approximate_entropies(rows: Sequence[np.ndarray], ms: Sequence[int] = (1, 2)
                          ) -> dict[int, float | None]:
  """ApEn(m) with r = 0 of the rows taken together (module docstring), in nats, for each m
  in `ms`; None for an m that no row is longer than. Rows are 1-D arrays of item ids."""
  if any(m < 1 for m in ms):
    raise ValueError(f"approximate entropy needs m >= 1, got {list(ms)}")
  rows = [np.asarray(r).ravel() for r in rows if len(r)]
  if not rows:
    return {m: None for m in ms}
  flat = np.concatenate(rows)
  if len(flat) >= 2**31:
    raise ValueError(f"approximate entropy counts windows in int64 pairs: {len(flat)} items "
                     "are too many")
  row_ids = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
  phi = {w: _phi(flat, row_ids, w) for w in sorted({w for m in ms for w in (m, m + 1)})}
  return {m: None if phi[m] is None or phi[m + 1] is None else phi[m] - phi[m + 1]
          for m in ms}


def approximate_entropy(rows: Sequence[np.ndarray], m: int = 2) -> float | None:
  """ApEn(m) of the rows taken together (approximate_entropies for one m)."""
  return approximate_entropies(rows, (m,))[m]


def data_regularity(real_rows: Sequence[np.ndarray], synthetic_rows: Sequence[np.ndarray]
                    ) -> dict:
  """A training set's ApEn for m = 1 and 2, of all its rows and of its synthetic rows alone
  (None without synthetic rows): the keys apen_m1, apen_m2, synthetic_apen_m1/_m2."""
  every = approximate_entropies(list(real_rows) + list(synthetic_rows))
  synthetic = approximate_entropies(synthetic_rows)
  return {**{f"apen_m{m}": v for m, v in every.items()},
          **{f"synthetic_apen_m{m}": v for m, v in synthetic.items()}}
