"""Ensembles of a run's last rounds (eval.ensemble_rounds = r >= 2): their models ranked
together by the mean log-probability, evaluated beside the newest model and, with
rsir.generate_ensemble, generating in its place.
"""

from __future__ import annotations

import logging

from rsir_jax import models
from rsir_jax.files.rounds import RoundFiles
from rsir_jax.run import trainer
from rsir_jax.run.setup import Setup

log = logging.getLogger(__name__)


def members(setup: Setup, params, entries: list[dict], files: RoundFiles, restored: dict
            ) -> tuple[models.Ensemble, tuple]:
  """The ensemble of the last r rounds' models: up to r - 1 earlier rounds' best models
  (`entries`: the finished rounds before this one) and this round's `params`; its backbone
  and its tuple of params. `restored` keeps the earlier models by training folder, so that a
  round's ensemble evaluation and generation restore them once; models that left the window
  are dropped from it."""
  folders = [files.training_dir(e) for e in entries[-(setup.loop.ensemble_rounds - 1):]]
  for folder in set(restored) - set(folders):
    del restored[folder]
  for folder in folders:
    if folder not in restored:
      restored[folder] = trainer.restore_best(setup, folder).params
  kept = tuple(restored[folder] for folder in folders) + (params,)
  return models.Ensemble(setup.model, len(kept)), kept


def with_ensemble(setup: Setup, params, entry: dict, entries: list[dict], files: RoundFiles,
                  restored: dict) -> dict:
  """From round 1 on, with an ensemble: `entry` with an "ensemble" part, the valid and test
  metrics of the last r rounds' models ranked together (`members`) and the rounds they come
  from."""
  if setup.loop.ensemble_rounds < 2 or not entries:
    return entry
  model, kept = members(setup, params, entries, files, restored)
  part = {"rounds": [e["round"] for e in entries[-(len(kept) - 1):]] + [entry["round"]],
          **{split: trainer.evaluate(setup, kept, split, model=model)
             for split in ("valid", "test")}}
  log.info("round %d ensemble of rounds %s: test recall@10 %.4f ndcg@10 %.4f",
           entry["round"], part["rounds"], part["test"]["recall@10"], part["test"]["ndcg@10"])
  return {**entry, "ensemble": part}
