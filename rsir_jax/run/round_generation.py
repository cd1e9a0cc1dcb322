"""A round's generation: from round k's model (or a separate generator trained on D_k, or a
heuristic augmenter: the policy's generator), the new rows that D_{k+1} adds, with their
counts. The policy (generate/policy.py) says what is generated from, what is kept (length,
duplicates), how many a real user keeps (the cap and its selection) and whether the amount
is matched to another run's.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import NamedTuple

import jax
import numpy as np

from rsir_jax import models, storage
from rsir_jax.data.load import Data
from rsir_jax.files import read_json
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.rounds import RoundFiles
from rsir_jax.generate import augmenters, filtering, selection
from rsir_jax.generate.generators import RoundInputs
from rsir_jax.run import trainer
from rsir_jax.run.setup import Setup, generation_slots, round_setup

log = logging.getLogger(__name__)


class NewRows(NamedTuple):
  """A round's new rows and, per row, its owner: the index of the real training row it
  descends from (its source's owner; -1 where a run older than owner tracking lost it)."""
  rows: list
  owners: np.ndarray


def generate_round(setup: Setup, data: Data, synthetic: NewRows, params, k: int,
                   files: RoundFiles, model: models.Backbone | None = None
                   ) -> tuple[NewRows, dict]:
  """Generates from round k's model (`params` of `model`, default the setup's backbone; or
  from the separate generator trained on D_k) with the policy's generator, and keeps the new
  rows; returns them and the entry's generation part (counts, phase times)."""
  policy, part, times = setup.policy, {}, {}
  rows_k = list(data.split.train) + synthetic.rows
  model = model or setup.model
  if setup.separate_generator is not None:
    gen_fit = trainer.fit(round_setup(setup.separate_generator, k), rows_k,
                          files.dir(k, "generator"))
    params, model = gen_fit.params, setup.separate_generator.model
    part["generator"] = {"valid": gen_fit.results["valid"], "test": gen_fit.results["test"]}
    times["generator_train"] = gen_fit.results["wall_time_s"]
  inputs = _round_inputs(setup, data, synthetic, params, model, k, files)
  sources, owners = _sources(setup, data, synthetic)
  out = policy.generator.generate(inputs, sources)
  times["generate"] = out.seconds
  t0 = time.perf_counter()
  kept, counts = filtering.new_row_index(rows_k, out, policy.min_len, policy.dedup)
  new = NewRows(filtering.rows_at(out, kept), owners[out.source_of[kept]])
  counts.update(filtering.added_counts(new.rows))
  new, counts = _cap(setup, inputs, new, [sources[j] for j in out.source_of[kept]], counts, k)
  new, counts = _match_rows(setup, new, counts, k, files)
  counts["tau"] = inputs.sampling.tau
  # What the generator records of itself (RSIR: the real rows' first-check pass rate).
  counts.update(policy.generator.counts(inputs, data.split.train))
  times["augment"] = time.perf_counter() - t0
  log.info("round %d %s: %s", k, policy.generator.name, counts)
  return new, {**part, "generation": counts, "time_s": times}


def _round_inputs(setup: Setup, data: Data, synthetic: NewRows, params, model, k: int,
                  files: RoundFiles) -> RoundInputs:
  """What the generator reads in round k: its model, the sampler settings with round k's
  tau (tau schedule: from round k - 1's tau, D_k's synthetic share or, for 'accept', the
  real rows' first-check ranks under this model), the round's key and chunk folder."""
  r, policy = setup.config.rsir, setup.policy
  previous = files.finished_entry(k - 1) if k else None
  real = list(data.split.train)  # the real rows with the target sets the policy gives them
  real = [s[:-1] for s in real] if policy.targets == "input" else real
  tau = policy.tau.for_round(
      k, previous["generation"].get("tau", policy.tau.tau) if previous else None,
      filtering.data_counts(data.split.train, synthetic.rows,
                            data.split.num_items)["synthetic_share"],
      ranks=lambda: selection.first_check_ranks(params, model, real, setup.sampling.max_len))
  # A new tau recompiles the sampler; the same tau reuses the compiled one.
  return RoundInputs(params=params, model=model,
                     sampling=dataclasses.replace(setup.sampling, tau=tau),
                     key=jax.random.fold_in(setup.keys.generate, k),
                     chunk_dir=files.dir(k, "generation"), chunk_size=r.chunk_size,
                     mesh=setup.mesh, slots=generation_slots(r.slots, setup.mesh),
                     writer=setup.writer)


def _sources(setup: Setup, data: Data, synthetic: NewRows) -> tuple[list, np.ndarray]:
  """The rows a round generates from, as its generator reads them, and the real user
  (owner) of each. The paper generates from every row of D_k; sources='real' keeps to the
  real users, so a synthetic row is never extended again."""
  real, every_row = list(data.split.train), setup.policy.sources == "all"
  sources = real + synthetic.rows if every_row else real
  owners = np.concatenate([np.arange(len(real)),
                           synthetic.owners if every_row else np.zeros(0, np.int64)])
  return setup.policy.generator.sources(sources), owners.astype(np.int64)


def _subset(new: NewRows, index: np.ndarray) -> NewRows:
  return NewRows([new.rows[i] for i in index], new.owners[index])


def _cap(setup: Setup, inputs: RoundInputs, new: NewRows, sources: list, counts: dict,
         k: int) -> tuple[NewRows, dict]:
  """With a cap: each real user keeps at most policy.cap of the round's new rows, the best by
  policy.select (selection.py; `sources`: each new row's source, scored by the generator's
  model at the round's tau); the counts updated."""
  policy = setup.policy
  if not policy.cap:
    return new, counts
  if np.any(new.owners < 0):
    raise workdir_lib.WorkdirError(
        "rsir.cap: this run's synthetic rows predate owner tracking, so their real users are "
        "unknown; use rsir.sources=real or start a new run")
  key = jax.random.fold_in(jax.random.fold_in(setup.keys.generate, k), 2)
  score_N = selection.scores(policy.select, inputs.params, inputs.model, sources, new.rows,
                             key, inputs.sampling.tau, setup.sampling.max_len,
                             policy.select_draws)
  capped = _subset(new, selection.cap_per_owner(new.owners, score_N, policy.cap))
  return capped, {**counts, "rows_before_cap": len(new.rows),
                  **filtering.added_counts(capped.rows)}


def _match_rows(setup: Setup, new: NewRows, counts: dict, k: int, files: RoundFiles
                ) -> tuple[NewRows, dict]:
  """When the policy matches amounts: a random subset (drawn from the round's generation
  key) of the new rows, holding at most as many rows (match_by='rows') or interactions
  ('interactions') as round k of the run in policy.match_dir added; the counts updated."""
  by = setup.policy.match_by
  if not by:
    return new, counts
  path = storage.join(files.workdir, setup.policy.match_dir, f"round_{k}", "round.json")
  if not storage.exists(path):
    raise workdir_lib.WorkdirError(
        f"rsir.match_rows: {path} does not exist; finish round {k} of that run first")
  added = read_json(path)["generation"]
  target = added["rows_added" if by == "rows" else "interactions_added"]
  key = jax.random.fold_in(jax.random.fold_in(setup.keys.generate, k), 1)
  matched = _subset(new, augmenters.match_index([len(row) for row in new.rows], target, key,
                                                by))
  return matched, {**counts, "rows_before_matching": len(new.rows), f"{by}_target": target,
                   **filtering.added_counts(matched.rows)}
