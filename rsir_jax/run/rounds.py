"""The RSIR loop: train f_k on D_k, generate D_{k+1} with f_k (with fidelity control, or with
a baseline's edits: the setup's policy), repeat.

Each round has two phases, each resumable on its own: training (round_training.py, from its
checkpoints) and generation (round_generation.py, from its finished chunks);
`round_<k>/round.json` is written last and makes the round durable (files: files/rounds.py;
phases and resume rules: docs/design.md). A rerun reads finished rounds back; raising
rsir.rounds on a finished run continues it (its last round generates, new rounds follow).
With rsir.generate_only the run stops once D_K is generated, without training round K (a
generation-only study).

Checkpoints are never committed, and of the generated rows only a run's newest, so a clone
of a run's committed files on a fresh machine goes on from what is there: a round whose
model is needed again and was not kept is trained again, and when the first round with work
left lacks its data, the newest round whose data is here generates again (from its model,
kept or trained again), every later round following. Training and generation are
deterministic in the seed; a retrained round keeps its earlier figures under `earlier`.
"""

from __future__ import annotations

import logging

import numpy as np

from rsir_jax import parallel
from rsir_jax.data.load import Data
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.rounds import RoundFiles
from rsir_jax.run import ensembles, trainer
from rsir_jax.run.round_generation import NewRows, generate_round
from rsir_jax.run.round_training import train_round
from rsir_jax.run.setup import Setup

log = logging.getLogger(__name__)


def run_rounds(setup: Setup, data: Data, workdir: str) -> list[dict]:
  """Runs (or resumes) rounds 0..rsir.rounds in `workdir`; returns one entry per round, as
  written to rounds.json."""
  loop, files = setup.loop, RoundFiles(workdir, setup.writer, data.item_ids)
  entries, previous = [], None  # previous: the last round's trainer.Fit (for fine-tuning)
  restored = {}  # earlier rounds' best params for the ensembles, by training folder
  rerun = _first_round_to_rerun(files, loop)  # None: the files every next step needs are here
  for k in range(loop.rounds + (0 if loop.generate_only else 1)):
    entry, fitted = files.finished_entry(k), None
    if rerun is not None and k > rerun:
      entry = None  # trained (and generated from) again: its data comes from round `rerun`
    elif k == rerun and "generation" in (entry or {}):
      log.warning("round %d: the generated rows that later rounds need were not kept; "
                  "generating them again from this round, and running every later round", k)
      entry = _without_generation(entry)
    if entry is not None and "stopped" in entry:  # a finished run that hit the growth cap
      entries.append(entry)
      break
    # Its model is needed again to generate, or, fine-tuning, as the next round's start.
    needs_model = k < loop.rounds and entry is not None and (
        "generation" not in entry or (loop.finetune and files.finished_entry(k + 1) is None))
    if needs_model and not trainer.model_kept(files.training_dir(entry)):
      if loop.finetune:  # round k's weights start from round k - 1's, also gone
        raise workdir_lib.WorkdirError(
            f"{files.training_dir(entry)}: the model of round {k} of this fine-tuning run was "
            "not kept, and training it again needs the models before it; start the run in "
            "a new folder")
      log.warning("round %d: its model was not kept; training it again", k)
      entry = None
    generates = k < loop.rounds and (entry is None or "generation" not in entry)
    if entry is None or generates:  # D_k is read only where round k trains or generates
      synthetic = NewRows(files.synthetic_rows(k), files.synthetic_owners(k))
    if entry is None:
      fitted, entry = train_round(setup, data, synthetic.rows, k, files,
                                  entries[-1] if entries else None, previous)
      entry = ensembles.with_ensemble(setup, fitted.params, entry, entries, files, restored)
    elif needs_model:
      fitted = trainer.restore_best(setup, files.training_dir(entry))
    if generates:
      model, params = None, fitted.params
      if loop.generate_ensemble and entries:  # generate from the last rounds' models together
        model, params = ensembles.members(setup, params, entries, files, restored)
      new, generated = generate_round(setup, data, synthetic, params, k, files, model)
      entry = {**entry, **generated, "time_s": {**entry["time_s"], **generated["time_s"]}}
      files.save_synthetic_rows(k + 1, synthetic.rows + new.rows,
                                np.concatenate([synthetic.owners, new.owners]))
      entry = _growth_cap(setup, data, entry, len(synthetic.rows) + len(new.rows))
    parallel.sync(f"round {k} data written")  # every process reads round k + 1's data
    entries.append(entry)
    files.finish(k, entry, entries)
    parallel.sync(f"round {k} finished")
    if "stopped" in entry:
      break
    previous = fitted
  return entries


def _first_round_to_rerun(files: RoundFiles, loop) -> int | None:
  """The round to go on from when the data the next step needs is gone (a clone of the
  committed files keeps only the newest round_<k>/dataset.npz of a run, or none): the first
  round j with work left needs D_j, so the newest round i <= j whose D_i is here trains (or
  restores) its model and generates again, and the rounds after it run again. None when
  D_j is here (or nothing is left to do)."""
  last = loop.rounds - (1 if loop.generate_only else 0)
  j = 0
  while j <= last and (entry := files.finished_entry(j)) is not None and (
      "stopped" in entry or j == loop.rounds or "generation" in entry):
    if "stopped" in entry:
      return None
    j += 1
  if j > last or files.has_data(j):
    return None
  i = j - 1
  while not files.has_data(i):
    i -= 1
  return i


def _without_generation(entry: dict) -> dict:
  """A finished round's entry as it stood before its generation (its training part)."""
  dropped = ("generation", "generator", "stopped")
  return {**{key: v for key, v in entry.items() if key not in dropped},
          "time_s": {"train": entry["time_s"]["train"]}}


def _growth_cap(setup: Setup, data: Data, entry: dict, synthetic_rows: int) -> dict:
  """`entry` marked "stopped" when D_{k+1} holds more than rsir.max_rows_factor times the
  real rows (0: no cap): the run ends after this round, the growth recorded."""
  cap, real = setup.loop.max_rows_factor, len(data.split.train)
  if not cap or real + synthetic_rows <= cap * real:
    return entry
  why = (f"the next round would train on {(real + synthetic_rows) / real:.1f}x the real rows, "
         f"more than rsir.max_rows_factor={cap}")
  log.warning("round %d: stopping the run: %s", entry["round"], why)
  return {**entry, "stopped": why}
