"""From generated trajectories to new training rows: length filter, exact de-duplication, and
the counts a round reports."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from rsir_jax import sampler


def augment(existing_rows: Sequence[np.ndarray], items_NxL: np.ndarray, lengths_N: np.ndarray,
            reasons_N: np.ndarray, min_len: int = 3) -> tuple[list[np.ndarray], dict]:
  """Keeps trajectories of at least `min_len` items that repeat neither each other nor a row
  already in the data. Returns (new rows, counts)."""
  seen = {row.tobytes() for row in (np.asarray(r, np.int32) for r in existing_rows)}
  new_rows, too_short, dup_new, dup_existing = [], 0, 0, 0
  new_seen = set()
  for row, n in zip(items_NxL, lengths_N):
    if n < min_len:
      too_short += 1
      continue
    traj = np.ascontiguousarray(row[:n], dtype=np.int32)
    key = traj.tobytes()
    if key in seen:
      dup_existing += 1
    elif key in new_seen:
      dup_new += 1
    else:
      new_seen.add(key)
      new_rows.append(traj)
  n_traj = int(len(lengths_N))
  counts = {
      "trajectories": n_traj,
      **{f"stopped_{name}": int(np.sum(reasons_N == code))
         for code, name in sampler.STOP_REASONS.items()},
      "mean_length": float(np.mean(lengths_N)) if n_traj else 0.0,
      "too_short": too_short,
      "duplicates_within_new": dup_new,
      "duplicates_of_existing": dup_existing,
      "rows_added": len(new_rows),
      "mean_added_length": float(np.mean([len(r) for r in new_rows])) if new_rows else 0.0,
  }
  return new_rows, counts


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
