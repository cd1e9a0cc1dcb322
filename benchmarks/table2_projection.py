"""The projection of Table 2's rounds not run yet from those measured (benchmarks/bill_table2.py
reads the measurements and prints the bill): pure functions, without flags, so that tests
import them beside other benchmarks.
"""

import numpy as np


def project_arm(measured: dict, other: dict, real_rows: int, rounds: int, cap: float,
                real_sources: bool, m: int):
  """Per round: [rows, train_s, generate_s (the generation after it), measured] for one seed
  of an arm, from `measured` (round -> that round's measurements over seeds) and `other`
  (the same on the other dataset, for growth only); and whether every round could be
  projected. Rows grow by a factor a round when every row is a source, by a number of rows
  when only the real rows are (real_sources)."""
  out, rows, ok = [], None, True
  for k in range(rounds + 1):
    seen = measured.get(k, [])
    if seen:
      rows = float(np.mean([m_["rows"] for m_ in seen]))
      out.append([rows, float(np.mean([m_["train_s"] for m_ in seen])), 0.0, True])
      continue
    step = _last_growth(measured, k, real_sources) or _last_growth(other, k, real_sources)
    if step is None or rows is None:
      return out, False  # nothing to project from
    rows = rows + step * real_rows if real_sources else rows * step
    if cap and rows > cap * real_rows:
      break  # the run stops before training this round
    targets = rows * _mean_rate(measured, "targets", "rows")
    out.append([rows, targets * _mean_rate(measured, "train_s", "targets"), 0.0, False])
  per_trajectory = None
  for k, r in enumerate(out[:-1]):  # the generation after each round but the last
    seen = [m_ for m_ in measured.get(k, []) if m_["trajectories"]]
    if seen:
      per_trajectory = np.mean([m_["generate_s"] / m_["trajectories"] for m_ in seen])
      r[2] = float(np.mean([m_["generate_s"] for m_ in seen]))
    elif per_trajectory is not None:
      r[2] = float(per_trajectory * m * (real_rows if real_sources else r[0]))
    else:
      ok = False
  if cap and len(out) < rounds + 1 and out:  # capped: the round that passed it was generated
    seen = [m_ for m_ in measured.get(len(out) - 1, []) if m_["trajectories"]]
    last = out[-1]
    last[2] = (float(np.mean([m_["generate_s"] for m_ in seen])) if seen else
               float((per_trajectory or 0.0) * m * (real_rows if real_sources else last[0])))
  return out, ok


def _last_growth(measured: dict, k: int, additive: bool):
  """The growth from round j - 1 to j for the largest measured j <= k: rows(j) / rows(j - 1);
  or (additive: only the real rows are sources, so each round adds about as many rows) the
  rows added by the generation after the largest generated round j - 1 < k, over rows(0).
  None if no such j."""
  mean = lambda j, key="rows": np.mean([m[key] for m in measured[j]])
  if additive:
    for j in range(k - 1, -1, -1):
      if measured.get(j) and measured.get(0) and all(m["trajectories"] for m in measured[j]):
        return mean(j, "rows_added") / mean(0)
    return None
  for j in range(k, 0, -1):
    if measured.get(j) and measured.get(j - 1):
      return mean(j) / mean(j - 1)
  return None


def _mean_rate(measured: dict, num: str, den: str) -> float:
  pairs = [(m[num], m[den]) for ms in measured.values() for m in ms]
  return float(np.sum([a for a, _ in pairs]) / np.sum([b for _, b in pairs]))
