"""What a round's generation gives, whatever made it (the model's rollouts or a heuristic's
edits), and the source matrix both read their rows from."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


class Generated(NamedTuple):
  """A round's trajectories: items (N, max_len); per trajectory its length, stop reason,
  number of forced (copied, not generated) leading items, passed checks and source row
  index; and the seconds spent generating them."""
  items: np.ndarray
  lengths: np.ndarray
  reasons: np.ndarray
  num_forced: np.ndarray
  checks_passed: np.ndarray
  source_of: np.ndarray
  seconds: float


def source_matrix(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
  """(N, width) right-padded sources: the most recent `width` items of each row."""
  out_NxS = np.zeros((len(rows), width), np.int32)
  for i, row in enumerate(rows):
    tail = row[-width:]
    out_NxS[i, :len(tail)] = tail
  return out_NxS
