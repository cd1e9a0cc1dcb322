"""The RSIR loop: train f_k on D_k, generate with fidelity control (or edit rows with a
data-augmentation baseline, rsir.generator: heuristics.py), augment, repeat.

Each round has two phases, each resumable on its own: training (`trainer.fit`, from its
checkpoints) and generation (from its finished chunks); `round_<k>/round.json` is written last
and makes the round durable (files: round_files.py; phases and resume rules: docs/design.md).
A rerun reads finished rounds back; raising rsir.rounds on a finished run continues it (its
last round generates, new rounds follow). With rsir.generate_only the run stops once D_K is
generated, without training round K (a generation-only study).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import NamedTuple

import jax
import numpy as np

from rsir_jax import (augment, generation, heuristics, models, parallel, selection,
                      tau_schedule, trainer)
from rsir_jax import workdir as workdir_lib
from rsir_jax.data.load import Data
from rsir_jax.files import read_json
from rsir_jax.provenance import provenance
from rsir_jax.round_files import RoundFiles
from rsir_jax.setup import Setup, generation_slots

log = logging.getLogger(__name__)


def run_rounds(setup: Setup, data: Data, workdir: str) -> list[dict]:
  """Runs (or resumes) rounds 0..rsir.rounds in `workdir`; returns one entry per round, as
  written to rounds.json."""
  r, files = setup.config.rsir, RoundFiles(workdir, setup.writer, data.item_ids)
  entries, previous = [], None  # previous: the last round's trainer.Fit (for fine-tuning)
  restored = {}  # earlier rounds' best params for the ensembles, by training folder
  for k in range(r.rounds + (0 if r.generate_only else 1)):
    synthetic = NewRows(files.synthetic_rows(k), files.synthetic_owners(k))
    entry, fitted = files.finished_entry(k), None
    if entry is not None and "stopped" in entry:  # a finished run that hit the growth cap
      entries.append(entry)
      break
    generates = k < r.rounds and (entry is None or "generation" not in entry)
    if entry is None:
      fitted, entry = train_round(setup, data, synthetic.rows, k, files,
                                  entries[-1] if entries else None, previous)
      entry = _with_ensemble(setup, fitted.params, entry, entries, files, restored)
    elif generates or (r.finetune and k < r.rounds):  # its model is needed again
      fitted = trainer.restore_best(setup, files.training_dir(entry))
    if generates:
      model, params = None, fitted.params
      if r.generate_ensemble and entries:  # generate from the last rounds' models together
        model, params = _members(setup, params, entries, files, restored)
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


def _members(setup: Setup, params, entries: list[dict], files: RoundFiles, restored: dict
             ) -> tuple[models.Ensemble, tuple]:
  """The ensemble of the last eval.ensemble_rounds rounds' models: up to r - 1 earlier
  rounds' best models (`entries`: the finished rounds before this one) and this round's
  `params`; its backbone and its tuple of params. `restored` keeps the earlier models by
  training folder, so that a round's ensemble evaluation and generation restore them once;
  models that left the window are dropped from it."""
  folders = [files.training_dir(e) for e in entries[-(setup.config.eval.ensemble_rounds - 1):]]
  for folder in set(restored) - set(folders):
    del restored[folder]
  for folder in folders:
    if folder not in restored:
      restored[folder] = trainer.restore_best(setup, folder).params
  members = tuple(restored[folder] for folder in folders) + (params,)
  return models.Ensemble(setup.model, len(members)), members


def _with_ensemble(setup: Setup, params, entry: dict, entries: list[dict], files: RoundFiles,
                   restored: dict) -> dict:
  """With eval.ensemble_rounds = r >= 2, from round 1 on: `entry` with an "ensemble" part,
  the valid and test metrics of ranking by the mean log-probability of the last r rounds'
  models (_members), and the rounds they come from."""
  if setup.config.eval.ensemble_rounds < 2 or not entries:
    return entry
  model, members = _members(setup, params, entries, files, restored)
  part = {"rounds": [e["round"] for e in entries[-(len(members) - 1):]] + [entry["round"]],
          **{split: trainer.evaluate(setup, members, split, model=model)
             for split in ("valid", "test")}}
  log.info("round %d ensemble of rounds %s: test recall@10 %.4f ndcg@10 %.4f",
           entry["round"], part["rounds"], part["test"]["recall@10"], part["test"]["ndcg@10"])
  return {**entry, "ensemble": part}


def _growth_cap(setup: Setup, data: Data, entry: dict, synthetic_rows: int) -> dict:
  """`entry` marked "stopped" when D_{k+1} holds more than rsir.max_rows_factor times the
  real rows (0: no cap): the run ends after this round, the growth recorded."""
  cap, real = setup.config.rsir.max_rows_factor, len(data.split.train)
  if not cap or real + synthetic_rows <= cap * real:
    return entry
  why = (f"the next round would train on {(real + synthetic_rows) / real:.1f}x the real rows, "
         f"more than rsir.max_rows_factor={cap}")
  log.warning("round %d: stopping the run: %s", entry["round"], why)
  return {**entry, "stopped": why}


def _training_source(setup: Setup, k: int, last_entry: dict | None, files: RoundFiles) -> str:
  """Where round k's model comes from, relative to the workdir: its own training folder,
  another run's finished round 0 (rsir.round0_dir), or, when round k - 1 added no rows (so
  D_k = D_{k-1} and training from scratch would give the same model), that round's."""
  r = setup.config.rsir
  if k == 0 and r.round0_dir:
    workdir_lib.check_round0_source(setup.config, os.path.join(files.workdir, r.round0_dir))
    trained = os.path.join(r.round0_dir, "round_0", "train")  # an RSIR run, else a baseline
    return trained if os.path.isdir(os.path.join(files.workdir, trained)) else r.round0_dir
  if k > 0 and not r.finetune and last_entry["generation"]["rows_added"] == 0:
    return os.path.relpath(files.training_dir(last_entry), files.workdir)
  return os.path.join(f"round_{k}", "train")


def round_setup(setup: Setup, k: int) -> Setup:
  """The setup round k trains with: with rsir.reseed_rounds, from round 1 on, the run's
  initialisation and training keys folded with k (a model as independent of the earlier
  rounds' as another seed's); otherwise the run's own keys (every round starts from the same
  initialisation and draws the same dropout and negatives per step: paired rounds)."""
  if not setup.config.rsir.reseed_rounds or k == 0:
    return setup
  keys = setup.keys
  return dataclasses.replace(setup, keys=dataclasses.replace(
      keys, init=jax.random.fold_in(keys.init, k),
      train=parallel.replicate(setup.mesh, jax.random.fold_in(keys.train, k))))


def train_round(setup: Setup, data: Data, synthetic: list, k: int, files: RoundFiles,
                last_entry: dict | None, previous: trainer.Fit | None
                ) -> tuple[trainer.Fit, dict]:
  """Trains (or reuses) and evaluates round k's model on D_k = real rows + `synthetic`;
  returns the fit and the round's entry (without its generation part). `last_entry` and
  `previous` are round k - 1's entry and fit (None for round 0; fit None if not needed)."""
  r = setup.config.rsir
  counts = augment.data_counts(data.split.train, synthetic, data.split.num_items)
  log.info("round %d: %d rows (%d synthetic, %.1f%% of interactions)", k, counts["rows"],
           counts["synthetic_rows"], 100 * counts["synthetic_share"])
  source = _training_source(setup, k, last_entry, files)
  own = source == os.path.join(f"round_{k}", "train")
  if own:
    init = previous.params if r.finetune and previous else None
    fitted = trainer.fit(round_setup(setup, k), list(data.split.train) + synthetic,
                         os.path.join(files.workdir, source), init_params=init)
  else:
    log.info("round %d: its model is the one trained in %s", k, source)
    fitted = trainer.restore_best(setup, os.path.join(files.workdir, source))
  res = fitted.results
  entry = {"round": k, "valid": res["valid"], "test": res["test"], "best_epoch": res["best_epoch"],
           "loss": res["loss"], "seed": setup.config.seed, "data": counts, "trained_in": source,
           "time_s": {"train": res["wall_time_s"] if own else 0.0}, "provenance": provenance()}
  log.info("round %d test recall@10 %.4f ndcg@10 %.4f", k, res["test"]["recall@10"],
           res["test"]["ndcg@10"])
  return fitted, entry


class NewRows(NamedTuple):
  """A round's new rows and, per row, its owner: the index of the real training row it
  descends from (its source's owner; -1 where a run older than owner tracking lost it)."""
  rows: list
  owners: np.ndarray


def generate_round(setup: Setup, data: Data, synthetic: NewRows, params, k: int,
                   files: RoundFiles, model: models.Backbone | None = None
                   ) -> tuple[NewRows, dict]:
  """Generates from round k's model (`params` of `model`, default the setup's backbone; or
  from a weak-to-strong generator trained on D_k, or with a heuristic augmenter:
  rsir.generator) and keeps the new rows; returns them and the entry's generation part
  (counts, phase times)."""
  r, part, times = setup.config.rsir, {}, {}
  rows_k = list(data.split.train) + synthetic.rows
  model = model or setup.model
  if setup.generator is not None:
    gen_fit = trainer.fit(round_setup(setup.generator, k), rows_k, files.dir(k, "generator"))
    params, model = gen_fit.params, setup.generator.model
    part["generator"] = {"valid": gen_fit.results["valid"], "test": gen_fit.results["test"]}
    times["generator_train"] = gen_fit.results["wall_time_s"]
  real = data.split.train if r.targets == "row" else [s[:-1] for s in data.split.train]
  previous = files.finished_entry(k - 1) if k else None
  tau = tau_schedule.tau_for_round(
      r.tau_schedule, r.tau, k, params, model, real, setup.sampling.max_len,
      previous["generation"].get("tau", r.tau) if previous else None,
      augment.data_counts(data.split.train, synthetic.rows,
                          data.split.num_items)["synthetic_share"])
  sampling = dataclasses.replace(setup.sampling, tau=tau)  # recompiles only if tau changed
  sources, owners = _sources(setup, data, synthetic)
  if r.generator == "rsir":
    out = generation.generate_round(
        params, model, sampling, sources, r.m,
        jax.random.fold_in(setup.keys.generate, k), r.chunk_size, files.dir(k, "generation"),
        mesh=setup.mesh, slots=generation_slots(r.slots, setup.mesh),
        writer=setup.writer)
  else:
    table = model.item_table(params) if r.generator == "insert" else None
    out = heuristics.generate_round(
        r.generator, r[_RATE_FIELD[r.generator]], sources, r.m,
        jax.random.fold_in(setup.keys.generate, k), setup.sampling.max_len, table, r.chunk_size)
  times["generate"] = out.seconds
  t0 = time.perf_counter()
  kept, counts = augment.new_row_index(rows_k, out, r.min_len, r.dedup)
  new = NewRows([np.ascontiguousarray(out.items[i][:out.lengths[i]], dtype=np.int32)
                 for i in kept], owners[out.source_of[kept]])
  counts.update(augment.added_counts(new.rows))
  new, counts = _cap(setup, model, params, new, [sources[j] for j in out.source_of[kept]],
                     counts, k, tau)
  new, counts = _match_rows(setup, new, counts, k, files)
  counts["tau"] = tau
  if r.generator == "rsir":
    counts["real_first_check_pass_rate"] = generation.first_check_pass_rate(
        params, model, sampling, real)
  else:
    counts["generator"] = r.generator
  times["augment"] = time.perf_counter() - t0
  log.info("round %d %s: %s", k, r.generator, counts)
  return new, {**part, "generation": counts, "time_s": times}


def _sources(setup: Setup, data: Data, synthetic: NewRows) -> tuple[list, np.ndarray]:
  """The rows a round generates from, and the real user (owner) of each.

  The paper generates from every row of D_k; sources='real' keeps to the real users, so a
  synthetic row is never extended again. For RSIR a source's items are its target set T: the
  whole row, or (targets='input', the authors') every item but its last."""
  r, real = setup.config.rsir, list(data.split.train)
  sources = real + synthetic.rows if r.sources == "all" else real
  owners = np.concatenate([np.arange(len(real)), synthetic.owners if r.sources == "all"
                           else np.zeros(0, np.int64)]).astype(np.int64)
  if r.generator == "rsir" and r.targets == "input":
    sources = [s[:-1] for s in sources]
  return sources, owners


_RATE_FIELD = {"reorder": "reorder_rate", "insert": "insert_rate", "crop": "crop_rate"}


def _subset(new: NewRows, index: np.ndarray) -> NewRows:
  return NewRows([new.rows[i] for i in index], new.owners[index])


def _cap(setup: Setup, model, params, new: NewRows, sources: list, counts: dict, k: int,
         tau: int) -> tuple[NewRows, dict]:
  """With rsir.cap > 0: each real user keeps at most rsir.cap of the round's new rows, the
  best by rsir.select (selection.py; `sources`: each new row's source, `model` and `params`
  the generator's, `tau` the round's threshold); the counts updated."""
  r = setup.config.rsir
  if not r.cap:
    return new, counts
  if np.any(new.owners < 0):
    raise workdir_lib.WorkdirError(
        "rsir.cap: this run's synthetic rows predate owner tracking, so their real users are "
        "unknown; use rsir.sources=real or start a new run")
  key = jax.random.fold_in(jax.random.fold_in(setup.keys.generate, k), 2)
  score_N = selection.scores(r.select, params, model, sources, new.rows, key, tau,
                             setup.sampling.max_len, r.select_draws)
  capped = _subset(new, selection.cap_per_owner(new.owners, score_N, r.cap))
  return capped, {**counts, "rows_before_cap": len(new.rows),
                  **augment.added_counts(capped.rows)}


def _match_rows(setup: Setup, new: NewRows, counts: dict, k: int, files: RoundFiles
                ) -> tuple[NewRows, dict]:
  """With rsir.match_rows: a random subset (drawn from the round's generation key) of the new
  rows, holding at most as many rows (rsir.match_by='rows') or interactions ('interactions')
  as round k of the run in rsir.round0_dir added; the counts updated."""
  r = setup.config.rsir
  if not r.match_rows:
    return new, counts
  path = os.path.join(files.workdir, r.round0_dir, f"round_{k}", "round.json")
  if not os.path.exists(path):
    raise workdir_lib.WorkdirError(
        f"rsir.match_rows: {path} does not exist; finish round {k} of that run first")
  added = read_json(path)["generation"]
  target = added["rows_added" if r.match_by == "rows" else "interactions_added"]
  key = jax.random.fold_in(jax.random.fold_in(setup.keys.generate, k), 1)
  matched = _subset(new, heuristics.match_index([len(row) for row in new.rows], target, key,
                                                r.match_by))
  return matched, {**counts, "rows_before_matching": len(new.rows),
                   f"{r.match_by}_target": target, **augment.added_counts(matched.rows)}
