"""From generated trajectories to new training rows (length filter, exact de-duplication),
and the counts a round reports about them."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from rsir_jax.generate import sampler

DEDUP = ("all", "new")


def check_pass_rates(checks_passed_N: np.ndarray, reasons_N: np.ndarray) -> list[float]:
  """For the 1st, 2nd, ... judged fidelity check: the share of the trajectories that reach it
  which pass it. A trajectory reaches check j + 1 when it passed j checks and went on to be
  judged again (it did not stop because its source was used up or the length limit hit)."""
  failed_N = reasons_N == sampler.FIDELITY
  rates = []
  for j in range(int(checks_passed_N.max(initial=0)) + 1):
    passed = int(np.sum(checks_passed_N > j))
    reached = passed + int(np.sum((checks_passed_N == j) & failed_N))
    if not reached:
      break
    rates.append(round(passed / reached, 4))
  return rates


def augment(existing_rows: Sequence[np.ndarray], rollouts, min_len: int = 3,
            dedup: str = "all") -> tuple[list[np.ndarray], dict]:
  """The new rows among `rollouts` (sampler.Rollouts or output.Generated, numpy): those
  with at least one generated item (a trajectory that is only its forced start is real data,
  counted apart), at least `min_len` items, no exact copy among themselves and, with
  dedup="all", none among `existing_rows` (dedup="new", the authors' rule: a trajectory equal
  to an existing row is added again). Returns (new rows, counts)."""
  kept, counts = new_row_index(existing_rows, rollouts, min_len, dedup)
  new_rows = rows_at(rollouts, kept)
  return new_rows, {**counts, **added_counts(new_rows)}


def rows_at(rollouts, index: np.ndarray) -> list[np.ndarray]:
  """The rollouts at `index` as rows (int32, cut to their lengths)."""
  return [np.ascontiguousarray(rollouts.items[i][:rollouts.lengths[i]], dtype=np.int32)
          for i in index]


def new_row_index(existing_rows: Sequence[np.ndarray], rollouts, min_len: int = 3,
                  dedup: str = "all") -> tuple[np.ndarray, dict]:
  """`augment`'s choice as the indices of the kept rollouts (ascending), and the counts
  about all of them (without the added_counts of the kept ones)."""
  if dedup not in DEDUP:
    raise ValueError(f"rsir.dedup={dedup!r} is not one of {DEDUP}")
  existing = {np.asarray(r, np.int32).tobytes() for r in existing_rows}
  kept, seen = [], set()
  counts = dict.fromkeys(("no_generated_item", "too_short", "duplicates_within",
                          "duplicates_of_existing"), 0)
  for i, (row, n, forced) in enumerate(zip(rollouts.items, rollouts.lengths,
                                           rollouts.num_forced)):
    if n <= forced:
      counts["no_generated_item"] += 1
      continue
    if n < min_len:
      counts["too_short"] += 1
      continue
    key = np.ascontiguousarray(row[:n], dtype=np.int32).tobytes()
    if key in seen:
      counts["duplicates_within"] += 1
      continue
    if key in existing:
      counts["duplicates_of_existing"] += 1
      if dedup == "all":
        continue
    seen.add(key)
    kept.append(i)
  lengths, reasons = np.asarray(rollouts.lengths), np.asarray(rollouts.reasons)
  return np.array(kept, np.int64), {
      "trajectories": int(len(lengths)),
      "stop_reasons": {name: int(np.sum(reasons == code))
                       for code, name in sampler.STOP_REASONS.items()},
      "mean_length": float(np.mean(lengths)) if len(lengths) else 0.0,
      "check_pass_rate": check_pass_rates(np.asarray(rollouts.checks_passed), reasons),
      **counts,
  }


def added_counts(new_rows: Sequence[np.ndarray]) -> dict:
  """rows_added, interactions_added and mean_added_length of a round's new rows."""
  return {"rows_added": len(new_rows),
          "interactions_added": int(sum(len(r) for r in new_rows)),
          "mean_added_length": float(np.mean([len(r) for r in new_rows])) if new_rows else 0.0}


def data_counts(real_rows: Sequence[np.ndarray], synthetic_rows: Sequence[np.ndarray],
                num_items: int) -> dict:
  """Size of a training set: rows, interactions, synthetic share and density."""
  rows = len(real_rows) + len(synthetic_rows)
  real_inter = int(sum(len(r) for r in real_rows))
  syn_inter = int(sum(len(r) for r in synthetic_rows))
  inter = real_inter + syn_inter
  return {"rows": rows, "synthetic_rows": len(synthetic_rows), "interactions": inter,
          "synthetic_share": syn_inter / inter if inter else 0.0,
          "density": inter / (rows * num_items) if rows and num_items else 0.0}
