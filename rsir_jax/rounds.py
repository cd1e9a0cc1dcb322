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

import logging
import os
import time

import jax
import numpy as np

from rsir_jax import augment, generation, heuristics, parallel, trainer
from rsir_jax import workdir as workdir_lib
from rsir_jax.data.load import Data
from rsir_jax.files import read_json
from rsir_jax.provenance import provenance
from rsir_jax.round_files import RoundFiles
from rsir_jax.setup import Setup

log = logging.getLogger(__name__)


def run_rounds(setup: Setup, data: Data, workdir: str) -> list[dict]:
  """Runs (or resumes) rounds 0..rsir.rounds in `workdir`; returns one entry per round, as
  written to rounds.json."""
  r, files = setup.config.rsir, RoundFiles(workdir, setup.writer, data.item_ids)
  entries, previous = [], None  # previous: the last round's trainer.Fit (for fine-tuning)
  for k in range(r.rounds + (0 if r.generate_only else 1)):
    synthetic, entry, fitted = files.synthetic_rows(k), files.finished_entry(k), None
    if entry is not None and "stopped" in entry:  # a finished run that hit the growth cap
      entries.append(entry)
      break
    generates = k < r.rounds and (entry is None or "generation" not in entry)
    if entry is None:
      fitted, entry = train_round(setup, data, synthetic, k, files,
                                  entries[-1] if entries else None, previous)
    elif generates or (r.finetune and k < r.rounds):  # its model is needed again
      fitted = trainer.restore_best(setup, files.training_dir(entry))
    if generates:
      new_rows, generated = generate_round(setup, data, synthetic, fitted.params, k, files)
      entry = {**entry, **generated, "time_s": {**entry["time_s"], **generated["time_s"]}}
      files.save_synthetic_rows(k + 1, synthetic + new_rows)
      entry = _growth_cap(setup, data, entry, len(synthetic) + len(new_rows))
    parallel.sync(f"round {k} data written")  # every process reads round k + 1's data
    entries.append(entry)
    files.finish(k, entry, entries)
    parallel.sync(f"round {k} finished")
    if "stopped" in entry:
      break
    previous = fitted
  return entries


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
    fitted = trainer.fit(setup, list(data.split.train) + synthetic,
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


def generate_round(setup: Setup, data: Data, synthetic: list, params, k: int,
                   files: RoundFiles) -> tuple[list[np.ndarray], dict]:
  """Generates from round k's model (or from a weak-to-strong generator trained on D_k, or
  with a heuristic augmenter: rsir.generator) and keeps the new rows; returns them and the
  entry's generation part (counts, phase times)."""
  r, part, times = setup.config.rsir, {}, {}
  if r.generator != "rsir":
    return _heuristic_round(setup, data, synthetic, params, k, files)
  rows_k = list(data.split.train) + synthetic
  gen_setup = setup.generator or setup
  if setup.generator is not None:
    gen_fit = trainer.fit(setup.generator, rows_k, files.dir(k, "generator"))
    params = gen_fit.params
    part["generator"] = {"valid": gen_fit.results["valid"], "test": gen_fit.results["test"]}
    times["generator_train"] = gen_fit.results["wall_time_s"]
  # The paper generates from every row of D_k; sources='real' keeps to the real users, so a
  # synthetic row is never extended again. A source's items are its target set T: the whole
  # row, or (targets='input', the authors') every item but its last.
  sources = rows_k if r.sources == "all" else data.split.train
  if r.targets == "input":
    sources = [s[:-1] for s in sources]
  out = generation.generate_round(
      params, gen_setup.model, setup.sampling, sources, r.m,
      jax.random.fold_in(setup.keys.generate, k), r.chunk_size, files.dir(k, "generation"),
      mesh=setup.mesh, slots=r.slots, writer=setup.writer)
  times["generate"] = out.seconds
  t0 = time.perf_counter()
  new_rows, counts = augment.augment(rows_k, out, r.min_len, r.dedup)
  real = data.split.train if r.targets == "row" else [s[:-1] for s in data.split.train]
  counts["real_first_check_pass_rate"] = generation.first_check_pass_rate(
      params, gen_setup.model, setup.sampling, real)
  times["augment"] = time.perf_counter() - t0
  new_rows, counts = _match_rows(setup, new_rows, counts, k, files)
  log.info("round %d generation: %s", k, counts)
  return new_rows, {**part, "generation": counts, "time_s": times}


_RATE_FIELD = {"reorder": "reorder_rate", "insert": "insert_rate", "crop": "crop_rate"}


def _heuristic_round(setup: Setup, data: Data, synthetic: list, params, k: int,
                     files: RoundFiles) -> tuple[list[np.ndarray], dict]:
  """generate_round for a data-augmentation baseline (heuristics.py): rsir.m edited copies
  of every source, filtered, de-duplicated and counted as RSIR's trajectories are."""
  r = setup.config.rsir
  rows_k = list(data.split.train) + synthetic
  sources = rows_k if r.sources == "all" else data.split.train
  table = setup.model.item_table(params) if r.generator == "insert" else None
  out = heuristics.generate_round(
      r.generator, r[_RATE_FIELD[r.generator]], sources, r.m,
      jax.random.fold_in(setup.keys.generate, k), setup.sampling.max_len, table, r.chunk_size)
  t0 = time.perf_counter()
  new_rows, counts = augment.augment(rows_k, out, r.min_len, r.dedup)
  new_rows, counts = _match_rows(setup, new_rows, counts, k, files)
  counts["generator"] = r.generator
  log.info("round %d %s: %s", k, r.generator, counts)
  return new_rows, {"generation": counts,
                    "time_s": {"generate": out.seconds, "augment": time.perf_counter() - t0}}


def _match_rows(setup: Setup, new_rows: list, counts: dict, k: int, files: RoundFiles
                ) -> tuple[list, dict]:
  """With rsir.match_rows: a random subset (drawn from the round's generation key) of the new
  rows, holding at most as many rows (rsir.match_by='rows') or interactions ('interactions')
  as round k of the run in rsir.round0_dir added; the counts updated."""
  r = setup.config.rsir
  if not r.match_rows:
    return new_rows, counts
  path = os.path.join(files.workdir, r.round0_dir, f"round_{k}", "round.json")
  if not os.path.exists(path):
    raise workdir_lib.WorkdirError(
        f"rsir.match_rows: {path} does not exist; finish round {k} of that run first")
  added = read_json(path)["generation"]
  target = added["rows_added" if r.match_by == "rows" else "interactions_added"]
  key = jax.random.fold_in(jax.random.fold_in(setup.keys.generate, k), 1)
  match = heuristics.match_rows if r.match_by == "rows" else heuristics.match_interactions
  kept = match(new_rows, target, key)
  return kept, {**counts, "rows_before_matching": len(new_rows),
                f"{r.match_by}_target": target, "rows_added": len(kept),
                "interactions_added": int(sum(len(row) for row in kept)),
                "mean_added_length": float(np.mean([len(row) for row in kept])) if kept else 0.0}
