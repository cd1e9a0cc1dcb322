"""Resumable training: epochs of bucketed batches, validation, early stopping, checkpoints,
and the final evaluation of the best-validation params.

  fit(setup, rows, workdir, init_params=None) -> Fit     trains (or resumes, or re-reports)
  restore_best(setup, workdir) -> Fit                    a finished fit, without evaluating
  model_kept(workdir) -> bool                            whether a finished fit's model is there

Files in the workdir:
  checkpoints/   Orbax steps: {"state": {"train", "best_params"}, "meta": loop bookkeeping}
  metrics.jsonl  one line per epoch (rewritten from the checkpointed history on resume, so a
                 crash never leaves a line for an epoch that has to be redone)
  results.json   written last: the valid and test metrics of the best epoch, with run facts
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from rsir_jax import models, parallel, storage
from rsir_jax.errors import UserError
from rsir_jax.files import read_json
from rsir_jax.run.setup import Setup
from rsir_jax.train import batching, checkpoint, evaluation
from rsir_jax.train import step as train_step

log = logging.getLogger(__name__)

SELECTION_METRIC = "ndcg@20"


class TrainingDiverged(UserError, RuntimeError):
  """The training loss became NaN or infinite."""


class Interrupted(RuntimeError):
  """Raised by `train.stop_after_steps`: simulates a crash to test resumption."""


class Fit(NamedTuple):
  """A finished training: the best-validation params and the results (as in results.json)."""
  params: Any
  results: dict


def _fresh_meta() -> dict:
  return {"epoch": 0, "batch_in_epoch": 0, "loss_sum": 0.0, "loss_batches": 0,
          "best_metric": -1.0, "best_epoch": -1, "bad_epochs": 0, "finished": False,
          "elapsed_s": 0.0, "lr_factor": 1.0, "history": []}


def _fmt(metrics: dict) -> str:
  return " ".join(f"{k}={metrics[k]:.4f}" for k in ("recall@10", "ndcg@10", "ndcg@20")
                  if k in metrics)


def evaluate(setup: Setup, params, split: str, mask_history: bool | None = None,
             model: models.Backbone | None = None) -> dict:
  """Full-ranking metrics of `params` on the "valid" or "test" users (of `model`'s params:
  by default the setup's backbone; a models.Ensemble for several models together)."""
  e = setup.config.eval
  mask = e.mask_history if mask_history is None else mask_history
  return evaluation.evaluate(params, model or setup.model, setup.eval_batches[split],
                             mask_history=mask, ks=tuple(e.ks), mesh=setup.mesh)


class _Run:
  """The mutable state of one fit: train state, best params, loop bookkeeping, checkpoints."""

  def __init__(self, setup: Setup, workdir: str, init_params=None):
    state = train_step.init_state(setup.model, setup.optimizer, setup.keys.init, init_params)
    self.state = parallel.replicate(setup.mesh, state)  # restores take this layout too
    self.best_params = jax.tree_util.tree_map(jnp.copy, self.state["params"])  # state is donated
    self.meta = _fresh_meta()
    self.ckpts = checkpoint.RunCheckpoints(storage.join(workdir, "checkpoints"))
    if self.ckpts.latest_step() is not None:
      restored, self.meta = self.ckpts.restore(
          {"train": self.state, "best_params": self.best_params})
      self.state, self.best_params = restored["train"], restored["best_params"]
      log.info("resumed from step %d (epoch %d, batch %d)", int(self.state["step"]),
               self.meta["epoch"], self.meta["batch_in_epoch"])

  def close(self, quiet: bool = False) -> None:
    """Waits for a checkpoint save in flight (so an interrupted run keeps its newest
    checkpoint) and releases the manager; idempotent. `quiet`: while another error is being
    raised, a failure here is not reported over it."""
    if self.ckpts is None:
      return
    ckpts, self.ckpts = self.ckpts, None
    try:
      ckpts.close()
    except Exception:
      if not quiet:
        raise

  def save(self, meta: dict) -> None:
    state = {"train": self.state, "best_params": self.best_params}
    self.ckpts.save(int(self.state["step"]), state, meta)

  def check_finite(self, loss: float, epoch: int, step: int) -> None:
    if not math.isfinite(loss):
      last = self.ckpts.latest_step()
      raise TrainingDiverged(
          f"training loss became {loss} in epoch {epoch + 1} (step {step}); the last good "
          f"checkpoint ({'step ' + str(last) if last is not None else 'none yet'}) is kept. "
          "Lower train.lr or set train.grad_clip.")


def _steps_in_call(plan, i: int, step: int, tc) -> int:
  """How many batches from plan[i] one call runs: up to train.steps_per_call consecutive
  batches of one bucket (one shape), ending where a log line, a checkpoint or the
  stop_after_steps crash is due, so that these happen after the same steps as one step per
  call would have them."""
  n = 1
  while (n < tc.steps_per_call and i + n < len(plan) and plan[i + n][0] == plan[i][0]):
    n += 1
  for every in (tc.log_every_steps, tc.checkpoint_every_steps):
    if every:
      n = min(n, every - step % every)
  if tc.stop_after_steps:
    n = min(n, max(tc.stop_after_steps - step, 1))
  return n


def _train_epoch(setup: Setup, run: _Run, buckets: batching.TrainBuckets) -> tuple[float, float]:
  """Runs the rest of the current epoch (from the checkpointed batch); returns (mean loss,
  seconds)."""
  tc, meta = setup.config.train, run.meta
  epoch = meta["epoch"]
  plan = batching.epoch_plan(buckets, tc.batch_size, setup.config.seed, epoch)
  norm = buckets.num_targets / len(plan) if tc.loss_norm == "per_target" else 0.0
  norm = parallel.replicate(setup.mesh, np.float32(norm))
  t0 = time.perf_counter()
  # On the devices from the start, as every call returns it (several steps per call take it
  # as an argument, and jit compiles again for an array that is not yet placed).
  loss_sum = parallel.replicate(setup.mesh, np.float32(meta["loss_sum"]))
  loss_batches = meta["loss_batches"]
  step = int(run.state["step"])  # a host-side copy, so the loop never waits on the device
  i = meta["batch_in_epoch"]
  while i < len(plan):
    n = _steps_in_call(plan, i, step, tc)
    when = [epoch + (i + k) / len(plan) for k in range(n)]
    scales = [meta.get("lr_factor", 1.0) * train_step.lr_scale(
        w, tc.lr_schedule, tc.warmup_epochs, tc.max_epochs) for w in when]
    drops = [train_step.dropout_scale(w, tc.dropout_warmup_epochs) for w in when]
    if tc.steps_per_call == 1:
      batch = parallel.shard_batch(setup.mesh, batching.gather_batch(buckets, *plan[i],
                                                                     tc.batch_size))
      run.state, loss = setup.train_step(run.state, batch, setup.keys.train, norm, scales[0],
                                         drops[0])
      loss_sum = loss_sum + loss
    else:  # always steps_per_call slots (one compiled shape per bucket); unused ones skipped
      pad = tc.steps_per_call - n
      batches = batching.stack_batches(
          [batching.gather_batch(buckets, *plan[i + min(k, n - 1)], tc.batch_size)
           for k in range(tc.steps_per_call)])
      run.state, loss_sum = setup.train_step.many(
          run.state, parallel.shard_batch(setup.mesh, batches, stacked=True),
          setup.keys.train, norm, scales + [1.0] * pad, drops + [1.0] * pad,
          [True] * n + [False] * pad, loss_sum)
    parallel.settle(setup.mesh, loss_sum)
    i, loss_batches, step = i + n, loss_batches + n, step + n
    if tc.log_every_steps and step % tc.log_every_steps == 0:
      log.info("epoch %d step %d [%d/%d] loss %.4f", epoch, step, i, len(plan),
               float(loss_sum) / loss_batches)
    if tc.checkpoint_every_steps and step % tc.checkpoint_every_steps == 0 and i < len(plan):
      run.check_finite(float(loss_sum), epoch, step)
      run.save({**meta, "batch_in_epoch": i, "loss_sum": float(loss_sum),
                "loss_batches": loss_batches,
                "elapsed_s": meta["elapsed_s"] + time.perf_counter() - t0})
    if tc.stop_after_steps and step >= tc.stop_after_steps:
      raise Interrupted(f"stopped after step {step} (train.stop_after_steps)")
  epoch_loss = float(loss_sum) / max(loss_batches, 1)
  run.check_finite(epoch_loss, epoch, step)
  return epoch_loss, time.perf_counter() - t0


def _end_epoch(setup: Setup, run: _Run, buckets, epoch_loss: float, train_s: float) -> dict:
  """Validates, updates the best params and the early-stopping count, checkpoints; returns
  the epoch's metrics.jsonl row."""
  tc, meta = setup.config.train, run.meta
  t1 = time.perf_counter()
  valid = evaluate(setup, run.state["params"], "valid")
  row = {"epoch": meta["epoch"] + 1, "step": int(run.state["step"]), "loss": epoch_loss,
         "train_s": train_s, "rows_per_s": buckets.num_rows / train_s if train_s else 0.0,
         "valid": valid}
  row["eval_s"] = time.perf_counter() - t1
  meta["elapsed_s"] += train_s + row["eval_s"]
  row["elapsed_s"] = meta["elapsed_s"]
  if setup.config.eval.also_unmasked:  # a protocol comparison: timed apart, not in elapsed_s
    t2 = time.perf_counter()
    row["valid_unmasked"] = evaluate(setup, run.state["params"], "valid", mask_history=False)
    row["unmasked_eval_s"] = time.perf_counter() - t2
  if setup.config.eval.test_each_epoch:  # for time-to-quality benchmarks; not in elapsed_s
    t2 = time.perf_counter()
    row["test"] = evaluate(setup, run.state["params"], "test")
    row["test_eval_s"] = time.perf_counter() - t2
  row["unix_time"] = time.time()
  row["improved"] = valid[SELECTION_METRIC] > meta["best_metric"]
  if row["improved"]:
    run.best_params = jax.tree_util.tree_map(jnp.copy, run.state["params"])  # state is donated
    meta.update(best_metric=valid[SELECTION_METRIC], best_epoch=meta["epoch"] + 1, bad_epochs=0)
  else:
    meta["bad_epochs"] += 1
    if tc.lr_decay_patience and meta["bad_epochs"] % tc.lr_decay_patience == 0:
      meta["lr_factor"] = meta.get("lr_factor", 1.0) * tc.lr_decay_factor  # a plateau
  row["lr_factor"] = meta.get("lr_factor", 1.0)
  meta["history"].append(row)
  meta.update(epoch=meta["epoch"] + 1, batch_in_epoch=0, loss_sum=0.0, loss_batches=0)
  meta["finished"] = meta["bad_epochs"] >= tc.patience or meta["epoch"] >= tc.max_epochs
  run.save(meta)
  return row


def fit(setup: Setup, rows: Sequence[np.ndarray], workdir: str, init_params=None) -> Fit:
  """Trains setup.model on `rows` (early-stopping on validation NDCG@20) in `workdir`,
  resuming from its newest checkpoint; returns the best-validation params and the valid and
  test metrics of that epoch with run facts (also written to results.json). `init_params`
  starts from given weights (fine-tuning) instead of a fresh initialisation."""
  results_path = storage.join(workdir, "results.json")
  earlier = read_json(results_path) if storage.exists(results_path) else None
  if earlier is not None:
    if checkpoint.has_checkpoint(storage.join(workdir, "checkpoints")):
      return restore_best(setup, workdir)  # finished earlier: nothing to train or evaluate
    log.warning("%s: the results of a finished training are here but not its checkpoints "
                "(they are never committed); training it again", workdir)
  storage.makedirs(workdir)
  tc, writer = setup.config.train, setup.writer
  buckets = batching.make_train_buckets(rows, setup.model.max_len, setup.config.data.bucket_lengths,
                                        prefix_rows=tc.prefix_rows)
  if buckets.num_rows == 0:
    raise ValueError("no training sequence has 2 or more items: nothing to train on")
  run = _Run(setup, workdir, init_params)
  metrics_path = storage.join(workdir, "metrics.jsonl")
  writer.jsonl(metrics_path, run.meta["history"])
  log.info("model: %d parameters; train rows %d (targets %d, %d too short), buckets %s; "
           "loss %s", models.count_params(run.state["params"]), buckets.num_rows,
           buckets.num_targets, buckets.num_skipped, buckets.sizes, tc.loss)
  try:
    while not run.meta["finished"]:
      epoch_loss, train_s = _train_epoch(setup, run, buckets)
      row = _end_epoch(setup, run, buckets, epoch_loss, train_s)
      writer.append_jsonl(metrics_path, row)
      log.info("epoch %d loss %.4f | %.1fs, %.0f rows/s | valid %s%s", row["epoch"], epoch_loss,
               train_s, row["rows_per_s"], _fmt(row["valid"]), " *" if row["improved"] else "")
  except BaseException:  # a crash, Ctrl-C, divergence: keep the newest checkpoint whole
    run.close(quiet=True)
    raise
  run.close()
  results = _results(setup, run, buckets)
  if earlier is not None:  # trained again: say whether it came out as it did before
    results["earlier"] = {split: earlier[split] for split in ("valid", "test")}
    log.info("%s trained again: test recall@10 %.4f (before: %.4f)", workdir,
             results["test"]["recall@10"], earlier["test"]["recall@10"])
  writer.json(storage.join(workdir, "results.json"), results)
  return Fit(run.best_params, results)


def model_kept(workdir: str) -> bool:
  """Whether the finished training in `workdir` can be read back: its results and its
  checkpoints are there. A folder cloned from the committed result files holds the results
  only (checkpoints are never committed); `fit` trains such a folder again."""
  return (storage.exists(storage.join(workdir, "results.json"))
          and checkpoint.has_checkpoint(storage.join(workdir, "checkpoints")))


def _results(setup: Setup, run: _Run, buckets) -> dict:
  tc, meta = setup.config.train, run.meta
  t0 = time.perf_counter()
  return {
      "valid": evaluate(setup, run.best_params, "valid"),
      "test": evaluate(setup, run.best_params, "test"),
      "best_epoch": meta["best_epoch"], "epochs_run": meta["epoch"],
      "loss": tc.loss, "num_negatives": tc.num_negatives if tc.loss == "sampled" else None,
      "negatives": tc.negatives if tc.loss == "sampled" else None,
      "loss_norm": tc.loss_norm, "prefix_rows": tc.prefix_rows, "lr": tc.lr,
      "batch_size": tc.batch_size, "num_devices": int(setup.mesh.devices.size),
      "seed": setup.config.seed, "dataset": setup.config.data.name or setup.config.data.path,
      "mask_history": setup.config.eval.mask_history,
      "wall_time_s": meta["elapsed_s"], "final_eval_s": time.perf_counter() - t0,
      "seconds_per_epoch": float(np.mean([r["train_s"] for r in meta["history"]])),
      "num_params": models.count_params(run.best_params),
      "train_rows": buckets.num_rows, "train_targets": buckets.num_targets,
      "eval_users": int(sum(np.count_nonzero(b.targets) for b in setup.eval_batches["test"])),
      "model": {"name": setup.config.model.name, **dataclasses.asdict(setup.model)},
  }


class NotFinishedError(UserError):
  """A training folder holds no finished training."""


def restore_best(setup: Setup, workdir: str) -> Fit:
  """The best params and results of a finished `fit` in `workdir`, read back without
  training or evaluating."""
  results_path = storage.join(workdir, "results.json")
  if not storage.exists(results_path):
    raise NotFinishedError(f"{workdir} holds no finished training (no results.json)")
  if not model_kept(workdir):
    raise NotFinishedError(f"{workdir} holds a finished training's results but not its "
                           "checkpoints (they are never committed): its model is gone")
  state = train_step.init_state(setup.model, setup.optimizer, setup.keys.init)
  like = parallel.replicate(setup.mesh, {"train": state, "best_params": state["params"]})
  ckpts = checkpoint.RunCheckpoints(storage.join(workdir, "checkpoints"))
  try:
    restored, _ = ckpts.restore(like)
  finally:
    ckpts.close()
  return Fit(restored["best_params"], read_json(results_path))
