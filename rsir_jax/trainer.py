"""A resumable training run: epochs of bucketed batches, validation, early stopping,
checkpoints, and the final test evaluation of the best-validation params.

`train_and_evaluate(config, split, workdir)` is the whole run. Running it again on the same
workdir resumes from the newest checkpoint (or, for a finished run, only re-reports).
Files in the workdir:
  checkpoints/   Orbax steps: {"state": {"train", "best_params"}, "meta": loop bookkeeping}
  metrics.jsonl  one line per epoch (rewritten from the checkpointed history on resume, so a
                 crash never leaves a line for an epoch that has to be redone)
(results.json is written by the caller, `experiment.run`.)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from rsir_jax import batching, checkpoint, evaluation, model, parallel, train_step
from rsir_jax.data.split import LeaveOneOutSplit

log = logging.getLogger(__name__)

SELECTION_METRIC = "ndcg@20"


class TrainingDiverged(RuntimeError):
  """The training loss became NaN or infinite."""


class Interrupted(RuntimeError):
  """Raised by `train.stop_after_steps`: simulates a crash to test resumption."""


def model_config(config: ml_collections.ConfigDict, num_items: int) -> model.SASRecConfig:
  """The static SASRec settings of `config` for a catalogue of `num_items`."""
  m = config.model
  return model.SASRecConfig(num_items=int(num_items), dim=m.dim, num_layers=m.num_layers,
                            num_heads=m.num_heads, ffn_mult=m.ffn_mult, dropout=m.dropout,
                            attn_dropout=m.attn_dropout, max_len=m.max_len)


def _fresh_meta() -> dict:
  return {"epoch": 0, "batch_in_epoch": 0, "loss_sum": 0.0, "loss_batches": 0,
          "best_metric": -1.0, "best_epoch": -1, "bad_epochs": 0, "finished": False,
          "elapsed_s": 0.0, "history": []}


def _write_jsonl(path: str, rows: list[dict]) -> None:
  if not parallel.is_primary():
    return
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    for row in rows:
      f.write(json.dumps(row) + "\n")
  os.replace(tmp, path)


def _append_jsonl(path: str, row: dict) -> None:
  if not parallel.is_primary():
    return
  with open(path, "a") as f:
    f.write(json.dumps(row) + "\n")
    f.flush()
    os.fsync(f.fileno())


def write_json(path: str, obj: Any) -> None:
  """Writes JSON atomically (temp file, then rename); only process 0 writes."""
  if not parallel.is_primary():
    return
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    json.dump(obj, f, indent=2)
  os.replace(tmp, path)


def _fmt(metrics: dict) -> str:
  return " ".join(f"{k}={metrics[k]:.4f}" for k in ("recall@10", "ndcg@10", "ndcg@20")
                  if k in metrics)


def train_and_evaluate(config: ml_collections.ConfigDict, split: LeaveOneOutSplit,
                       workdir: str) -> dict:
  """Trains SASRec on `split.train`, early-stops on validation NDCG@20 and returns the valid
  and test metrics of the best epoch, with run facts (epochs, timings, sizes)."""
  return train(config, split, workdir)[0]


def train(config: ml_collections.ConfigDict, split: LeaveOneOutSplit, workdir: str,
          init_params=None) -> tuple[dict, Any]:
  """As `train_and_evaluate`, and also returns the best-validation params. `init_params`
  starts from given weights (fine-tuning) instead of a fresh initialisation."""
  os.makedirs(workdir, exist_ok=True)
  tc, ec = config.train, config.eval
  cfg = model_config(config, split.num_items)
  buckets = batching.make_train_buckets(split.train, cfg.max_len, config.data.bucket_lengths,
                                        prefixes=tc.prefix_rows)
  if buckets.num_rows == 0:
    raise ValueError("no training sequence has 2 or more items: nothing to train on")
  valid_batches = batching.make_eval_batches(split.valid_inputs, split.valid_targets,
                                             cfg.max_len, config.data.bucket_lengths, ec.batch_size)
  test_batches = batching.make_eval_batches(split.test_inputs, split.test_targets,
                                            cfg.max_len, config.data.bucket_lengths, ec.batch_size)
  mesh = parallel.make_mesh(config.parallel.num_devices)
  parallel.check_divisible("train.batch_size", tc.batch_size, mesh)
  parallel.check_divisible("eval.batch_size", ec.batch_size, mesh)
  step_fn = train_step.make_train_step(cfg, tc.loss, tc.num_negatives, tc.lr,
                                       tc.weight_decay, tc.grad_clip,
                                       one_target_per_row=tc.prefix_rows, mesh=mesh)
  init_key, train_key = jax.random.split(jax.random.key(config.seed))
  train_key = parallel.replicate(mesh, train_key)
  optimizer = train_step.make_optimizer(tc.lr, tc.weight_decay, tc.grad_clip)
  state = train_step.init_state(cfg, optimizer, init_key)
  if init_params is not None:
    params = jax.tree_util.tree_map(jnp.copy, init_params)  # the state is donated
    state = {**state, "params": params, "opt_state": optimizer.init(params)}
  state = parallel.replicate(mesh, state)  # restores below take this layout too
  best_params = jax.tree_util.tree_map(jnp.copy, state["params"])  # state gets donated
  meta = _fresh_meta()

  ckpts = checkpoint.RunCheckpoints(os.path.join(workdir, "checkpoints"))
  metrics_path = os.path.join(workdir, "metrics.jsonl")
  if ckpts.latest_step() is not None:
    restored, meta = ckpts.restore({"train": state, "best_params": best_params})
    state, best_params = restored["train"], restored["best_params"]
    log.info("resumed from step %d (epoch %d, batch %d)", int(state["step"]),
             meta["epoch"], meta["batch_in_epoch"])
  _write_jsonl(metrics_path, meta["history"])
  log.info("model: %d parameters; train rows %d (targets %d, %d too short), buckets %s; "
           "loss %s", model.count_params(state["params"]), buckets.num_rows,
           buckets.num_targets, buckets.num_skipped, buckets.sizes, tc.loss)

  def save(state, best_params, meta):
    ckpts.save(int(state["step"]), {"train": state, "best_params": best_params}, meta)

  def eval_all(params, batches, mask_history=ec.mask_history):
    return evaluation.evaluate(params, cfg, batches, mask_history=mask_history, ks=tuple(ec.ks),
                               mesh=mesh)

  while not meta["finished"]:
    epoch = meta["epoch"]
    plan = batching.epoch_plan(buckets, tc.batch_size, config.seed, epoch)
    norm = buckets.num_targets / len(plan) if tc.loss_norm == "per_target" else 0.0
    norm = parallel.replicate(mesh, np.float32(norm))
    t0 = time.perf_counter()
    loss_sum = jnp.asarray(meta["loss_sum"], jnp.float32)
    loss_batches = meta["loss_batches"]
    step = int(state["step"])  # a host-side copy, so the loop never waits on the device
    for i in range(meta["batch_in_epoch"], len(plan)):
      inputs_BxL, targets_BxL = parallel.shard_batch(
          mesh, *batching.gather_batch(buckets, *plan[i], tc.batch_size))
      state, loss = step_fn(state, inputs_BxL, targets_BxL, train_key, norm)
      loss_sum, loss_batches, step = loss_sum + loss, loss_batches + 1, step + 1
      if tc.log_every_steps and step % tc.log_every_steps == 0:
        log.info("epoch %d step %d [%d/%d] loss %.4f", epoch, step, i + 1, len(plan),
                 float(loss_sum) / loss_batches)
      if tc.checkpoint_every_steps and step % tc.checkpoint_every_steps == 0 and i + 1 < len(plan):
        _check_finite(float(loss_sum), epoch, step, ckpts)
        save(state, best_params, {**meta, "batch_in_epoch": i + 1, "loss_sum": float(loss_sum),
                                  "loss_batches": loss_batches,
                                  "elapsed_s": meta["elapsed_s"] + time.perf_counter() - t0})
      if tc.stop_after_steps and step >= tc.stop_after_steps:
        ckpts.close()
        raise Interrupted(f"stopped after step {step} (train.stop_after_steps)")
    epoch_loss = float(loss_sum) / max(loss_batches, 1)
    _check_finite(epoch_loss, epoch, step, ckpts)
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    valid = eval_all(state["params"], valid_batches)
    row = {"epoch": epoch + 1, "step": step, "loss": epoch_loss,
           "train_s": train_s, "rows_per_s": buckets.num_rows / train_s if train_s else 0.0,
           "valid": valid}
    if ec.also_unmasked:
      row["valid_unmasked"] = eval_all(state["params"], valid_batches, mask_history=False)
    row["eval_s"] = time.perf_counter() - t1
    meta["elapsed_s"] += time.perf_counter() - t0
    row["elapsed_s"] = meta["elapsed_s"]
    improved = valid[SELECTION_METRIC] > meta["best_metric"]
    if improved:
      best_params = jax.tree_util.tree_map(jnp.copy, state["params"])  # state is donated
      meta.update(best_metric=valid[SELECTION_METRIC], best_epoch=epoch + 1, bad_epochs=0)
    else:
      meta["bad_epochs"] += 1
    meta["history"].append(row)
    meta.update(epoch=epoch + 1, batch_in_epoch=0, loss_sum=0.0, loss_batches=0)
    meta["finished"] = meta["bad_epochs"] >= tc.patience or meta["epoch"] >= tc.max_epochs
    save(state, best_params, meta)
    _append_jsonl(metrics_path, row)
    log.info("epoch %d loss %.4f | %.1fs, %.0f rows/s | valid %s%s", epoch + 1, epoch_loss,
             train_s, row["rows_per_s"], _fmt(valid), " *" if improved else "")
  ckpts.close()

  t2 = time.perf_counter()
  results = {
      "valid": eval_all(best_params, valid_batches),
      "test": eval_all(best_params, test_batches),
      "best_epoch": meta["best_epoch"], "epochs_run": meta["epoch"],
      "loss": tc.loss, "num_negatives": tc.num_negatives if tc.loss == "sampled" else None,
      "loss_norm": tc.loss_norm, "prefix_rows": tc.prefix_rows, "lr": tc.lr,
      "batch_size": tc.batch_size, "num_devices": int(mesh.devices.size),
      "seed": config.seed, "dataset": config.data.name or config.data.path,
      "mask_history": ec.mask_history,
      "wall_time_s": meta["elapsed_s"], "final_eval_s": time.perf_counter() - t2,
      "seconds_per_epoch": float(np.mean([r["train_s"] for r in meta["history"]])),
      "num_params": model.count_params(best_params),
      "train_rows": buckets.num_rows, "train_targets": buckets.num_targets,
      "eval_users": int(len(split.test_targets)),
      "model": dataclasses.asdict(cfg),
  }
  return results, best_params


def _check_finite(loss: float, epoch: int, step: int, ckpts: checkpoint.RunCheckpoints) -> None:
  if not math.isfinite(loss):
    last = ckpts.latest_step()
    ckpts.close()
    raise TrainingDiverged(
        f"training loss became {loss} in epoch {epoch + 1} (step {step}); the last good "
        f"checkpoint ({'step ' + str(last) if last is not None else 'none yet'}) is kept. "
        "Lower train.lr or set train.grad_clip.")
