"""A round's training: round k's model on D_k = the real rows + the synthetic rows so far,
trained in its own folder (from scratch, or from round k - 1's weights when fine-tuning), or
taken from where it already exists (another run's round 0; the previous round's model when
that round added nothing), then evaluated into the round's entry.
"""

from __future__ import annotations

import logging

from rsir_jax import storage
from rsir_jax.data import regularity
from rsir_jax.data.load import Data
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.provenance import provenance
from rsir_jax.files.rounds import RoundFiles, train_dir
from rsir_jax.generate import filtering
from rsir_jax.run import trainer
from rsir_jax.run.setup import Setup, round_setup

log = logging.getLogger(__name__)


def training_source(setup: Setup, k: int, last_entry: dict | None, files: RoundFiles) -> str:
  """Where round k's model comes from, relative to the workdir: its own training folder,
  another run's finished round 0 (rsir.round0_dir), or, when round k - 1 added no rows (so
  D_k = D_{k-1} and training from scratch would give the same model), that round's. A
  round 0 whose model was not kept (checkpoints are never committed) is trained here."""
  loop = setup.loop
  if k == 0 and loop.round0_dir:
    workdir_lib.check_round0_source(setup.config, storage.join(files.workdir, loop.round0_dir))
    trained = train_dir(loop.round0_dir, 0)  # an RSIR run, else a baseline
    source = trained if storage.isdir(storage.join(files.workdir, trained)) else loop.round0_dir
    folder = storage.join(files.workdir, source)
    if not storage.exists(storage.join(folder, "results.json")) or trainer.model_kept(folder):
      return source
    # A clone of the committed files: that run's round 0 lost its model, so train our own.
    log.warning("round 0: %s kept its results but not its model; this run trains its own",
                folder)
  if (k > 0 and not loop.finetune and last_entry["generation"]["rows_added"] == 0
      and trainer.model_kept(files.training_dir(last_entry))):
    return storage.relpath(files.training_dir(last_entry), files.workdir)
  return train_dir("", k)


def train_round(setup: Setup, data: Data, synthetic: list, k: int, files: RoundFiles,
                last_entry: dict | None, previous: trainer.Fit | None
                ) -> tuple[trainer.Fit, dict]:
  """Trains (or reuses) and evaluates round k's model on D_k = real rows + `synthetic`;
  returns the fit and the round's entry (without its generation part). `last_entry` and
  `previous` are round k - 1's entry and fit (None for round 0; fit None if not needed)."""
  counts = filtering.data_counts(data.split.train, synthetic, data.split.num_items)
  counts.update(regularity.data_regularity(data.split.train, synthetic))
  log.info("round %d: %d rows (%d synthetic, %.1f%% of interactions)", k, counts["rows"],
           counts["synthetic_rows"], 100 * counts["synthetic_share"])
  source = training_source(setup, k, last_entry, files)
  own = source == train_dir("", k)
  if own:
    init = previous.params if setup.loop.finetune and previous else None
    fitted = trainer.fit(round_setup(setup, k), list(data.split.train) + synthetic,
                         storage.join(files.workdir, source), init_params=init)
  else:
    log.info("round %d: its model is the one trained in %s", k, source)
    fitted = trainer.restore_best(setup, storage.join(files.workdir, source))
  res = fitted.results
  entry = {"round": k, "valid": res["valid"], "test": res["test"], "best_epoch": res["best_epoch"],
           "loss": res["loss"], "seed": setup.config.seed, "data": counts, "trained_in": source,
           "time_s": {"train": res["wall_time_s"] if own else 0.0}, "provenance": provenance()}
  if own and "earlier" in res:  # trained again after its model was lost: the earlier figures
    entry["earlier"] = res["earlier"]
  log.info("round %d test recall@10 %.4f ndcg@10 %.4f", k, res["test"]["recall@10"],
           res["test"]["ndcg@10"])
  return fitted, entry
