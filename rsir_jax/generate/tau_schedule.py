"""The fidelity threshold of each round (rsir.tau_schedule), the paper's stated future work:

  ''             every round uses rsir.tau (the paper)
  '5,10,20'      round k uses the k-th value (the last one for later rounds)
  'accept:0.6'   round k uses the smallest tau at which round k's model passes the first
                 fidelity check on at least that share of the real rows (teacher-forced:
                 context = a row's first item, T = the rest of the row), so the acceptance
                 holds as the models sharpen instead of drifting with a fixed tau.
  'share:0.3'    hold the synthetic share of the interactions near s: round 0 uses
                 rsir.tau, round k the previous round's tau times s / (the synthetic share
                 of D_k), the factor kept within [1/2, 2] so that one round cannot swing it
                 (a feedback rule: the share it reaches is measured, not guaranteed).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from rsir_jax.errors import UserError


class ScheduleError(UserError, ValueError):
  """rsir.tau_schedule cannot be read."""


def parse(spec: str) -> tuple[str, object]:
  """('fixed', None), ('list', [taus]), ('accept', a) or ('share', s) from
  rsir.tau_schedule."""
  spec = spec.strip()
  if not spec:
    return "fixed", None
  kind, _, value = spec.partition(":")
  if kind in ("accept", "share"):
    try:
      share = float(value)
    except ValueError:
      share = -1.0
    if not 0.0 < share <= 1.0:
      raise ScheduleError(f"rsir.tau_schedule={spec!r}: '{kind}:{kind[0]}' needs "
                          f"{kind[0]} in (0, 1]")
    return kind, share
  try:
    taus = [int(v) for v in spec.split(",")]
  except ValueError:
    taus = []
  if not taus or min(taus) < 1:
    raise ScheduleError(f"rsir.tau_schedule={spec!r} is not '', a list of taus >= 1 like "
                        "'5,10,20', 'accept:a' or 'share:s'")
  return "list", taus


@dataclasses.dataclass(frozen=True)
class TauSchedule:
  """rsir.tau_schedule resolved: `kind` ('fixed', 'list', 'accept' or 'share') and its
  `value` (parse), the run's rsir.tau, and the number of items (the largest tau)."""
  kind: str
  value: object
  tau: int
  num_items: int

  @classmethod
  def from_spec(cls, spec: str, tau: int, num_items: int) -> "TauSchedule":
    """The schedule of rsir.tau_schedule `spec` (ScheduleError if it cannot be read)."""
    kind, value = parse(spec)
    return cls(kind, tuple(value) if kind == "list" else value, tau, num_items)

  def for_round(self, k: int, previous_tau: int | None = None, synthetic_share: float = 0.0,
                ranks: Callable[[], np.ndarray] | None = None) -> int:
    """Round k's threshold. 'share:s' reads round k - 1's `previous_tau` and the synthetic
    share of D_k's interactions; 'accept:a' calls `ranks()` for the real rows' first-check
    ranks under round k's model (selection.first_check_ranks), computed only when needed."""
    if self.kind == "fixed":
      return self.tau
    if self.kind == "list":
      return self.value[min(k, len(self.value) - 1)]
    if self.kind == "share":
      if k == 0 or previous_tau is None:
        return self.tau
      factor = (2.0 if synthetic_share <= 0
                else min(max(self.value / synthetic_share, 0.5), 2.0))
      return int(np.clip(round(previous_tau * factor), 1, self.num_items))
    ranked = np.sort(ranks())
    if not len(ranked):
      return self.tau
    return int(ranked[max(math.ceil(self.value * len(ranked)) - 1, 0)]) + 1
