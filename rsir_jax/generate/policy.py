"""A round's choices, resolved once from the config into frozen objects built in the setup:
what a round adds (`RoundPolicy`: its generator, sources, filters, per-user cap and selection,
matching, the tau schedule) and how the rounds follow one another (`LoopPlan`). The loop
reads these, never the raw `rsir.*` fields.
"""

from __future__ import annotations

import dataclasses

from rsir_jax.generate import generators
from rsir_jax.generate.tau_schedule import TauSchedule


@dataclasses.dataclass(frozen=True)
class RoundPolicy:
  """What a round adds to D_k.

  generator      what makes the new rows (generators.py)
  sources        'all' (every row of D_k, the paper) | 'real' (the real rows only)
  targets        'row' | 'input' (a source's target set: the authors' drop its last item)
  min_len        the shortest new row kept; dedup 'all' | 'new' (filtering.py)
  cap, select    at most `cap` new rows per real user (0: all), chosen by `select` with
                 `select_draws` dropout draws (selection.py)
  match_by       'rows' | 'interactions' when the round matches the amount another run
                 (`match_dir`) added; '' when it does not
  tau            the tau schedule (tau_schedule.py)
  """
  generator: generators.Generator
  sources: str
  targets: str
  min_len: int
  dedup: str
  cap: int
  select: str
  select_draws: int
  match_by: str
  match_dir: str
  tau: TauSchedule

  @classmethod
  def from_config(cls, rsir, num_items: int) -> "RoundPolicy":
    """The policy of the config's `rsir` part, on a catalogue of `num_items` items."""
    return cls(generator=generators.from_config(rsir), sources=rsir.sources,
               targets=rsir.targets, min_len=rsir.min_len, dedup=rsir.dedup, cap=rsir.cap,
               select=rsir.select, select_draws=rsir.select_draws,
               match_by=rsir.match_by if rsir.match_rows else "", match_dir=rsir.round0_dir,
               tau=TauSchedule.from_spec(rsir.tau_schedule, rsir.tau, num_items))


@dataclasses.dataclass(frozen=True)
class LoopPlan:
  """How the rounds follow one another.

  rounds            K: rounds 0..K are trained (0..K-1 generate)
  generate_only     stop once D_K is generated, without training round K
  finetune          round k starts from round k - 1's weights
  reseed_rounds     round k >= 1 folds k into the initialisation and training keys
  round0_dir        a finished run whose round-0 model this run takes ('' : its own)
  max_rows_factor   end the run when D_{k+1} would exceed this many times the real rows
  ensemble_rounds   r >= 2: evaluate the ensemble of the last r rounds' models (0: off)
  generate_ensemble that ensemble generates instead of the newest model
  """
  rounds: int
  generate_only: bool
  finetune: bool
  reseed_rounds: bool
  round0_dir: str
  max_rows_factor: float
  ensemble_rounds: int
  generate_ensemble: bool

  @classmethod
  def from_config(cls, config) -> "LoopPlan":
    """The plan of a config."""
    r = config.rsir
    return cls(rounds=r.rounds, generate_only=r.generate_only, finetune=r.finetune,
               reseed_rounds=r.reseed_rounds, round0_dir=r.round0_dir,
               max_rows_factor=r.max_rows_factor, ensemble_rounds=config.eval.ensemble_rounds,
               generate_ensemble=r.generate_ensemble)
