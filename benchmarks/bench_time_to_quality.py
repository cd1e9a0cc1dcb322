"""Time to quality: one training run from a cold start (imports, data, compilation included),
logged per epoch, against the quality bars of the strong baseline.

  python -m benchmarks.bench_time_to_quality --config=configs/sasrec_beauty.py \
      [--config.train.lr=2e-3 ...] [--out=runs/bench/ttq_default.json] [--workdir=...]

The run is the config's baseline training with two extra logs per epoch: unmasked validation
metrics (RecBole's validation protocol) and the test metrics of that epoch's params (both
timed apart and left out of the wall times, which are those of a plain run of the config;
selection stays on masked validation NDCG@20). It
prints, per epoch, the wall time since the process started, masked and unmasked validation
NDCG@20 and the test Recall@10 / NDCG@10 of the best-validation epoch so far; then

  - the wall time to first reach unmasked validation NDCG@20 >= --valid_unmasked_ndcg20
    (RecBole's best on Beauty: 0.0594);
  - the wall time until the best-validation epoch's masked test Recall@10 / NDCG@10 reach
    --test_threshold (RecBole's SASRec on Beauty: 0.0897 / 0.0538), i.e. when a run stopped
    there would report the bar;
  - the FLOPs of one epoch (XLA's cost analysis of the compiled step, per bucket shape, times
    the batches of that shape) against this machine's measured float32 matmul rate.

`--out` writes the summary and the per-epoch rows as JSON (report kind=bench takes the
summary row).
"""

import time

_START_UNIX = time.time()  # the cold start: before jax is imported

import json
import os
import shutil
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging
from ml_collections import config_flags

from rsir_jax import logs, parallel
from rsir_jax.data.load import load_data
from rsir_jax.files.provenance import write_rows
from rsir_jax.run import experiment
from rsir_jax.run import setup as setup_lib
from rsir_jax.tools import cli
from rsir_jax.train import batching
from rsir_jax.train import step as train_step

_CONFIG = config_flags.DEFINE_config_file("config", "configs/sasrec_beauty.py",
                                          "A baseline config file (rsir.rounds = 0).")
_UNMASKED = flags.DEFINE_float("valid_unmasked_ndcg20", 0.0594,
                               "Bar for unmasked validation NDCG@20 (RecBole's best, Beauty).")
_TEST = flags.DEFINE_list("test_threshold", ["0.0897", "0.0538"],
                          "Bar for masked test Recall@10, NDCG@10 (RecBole's SASRec, Beauty).")
_WORKDIR = flags.DEFINE_string("workdir", "", "Run folder (empty: a temporary one, removed).")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")
_COMPILE_CACHE = flags.DEFINE_string(
    "compile_cache", "", "XLA's persistent compilation cache folder, as launch.py's flag ('' = "
    "off: a cold start compiles everything; run twice with a folder for the warm figure).")


def matmul_flops_per_s(n: int = 2048, repeats: int = 10) -> float:
  """This machine's float32 matmul rate on an n x n product (the compute limit an epoch is
  compared against)."""
  a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
  f = jax.jit(lambda x: x @ x)
  f(a).block_until_ready()
  t0 = time.perf_counter()
  for _ in range(repeats):
    out = f(a)
  out.block_until_ready()
  return 2 * n ** 3 * repeats / (time.perf_counter() - t0)


def epoch_flops(setup: setup_lib.Setup, rows) -> tuple[float, int]:
  """XLA's FLOP count of one epoch of training on `rows` (each bucket shape's compiled step
  times the number of batches of that shape), and the number of shapes (steps compiled)."""
  tc = setup.config.train
  buckets = batching.make_train_buckets(rows, setup.model.max_len,
                                        setup.config.data.bucket_lengths, tc.prefix_rows)
  plan = batching.epoch_plan(buckets, tc.batch_size, setup.config.seed, 0)
  state = parallel.replicate(setup.mesh, train_step.init_state(setup.model, setup.optimizer,
                                                               setup.keys.init))
  norm = parallel.replicate(setup.mesh, np.float32(0.0))
  per_bucket, total = {}, 0.0
  for bucket, batch_rows in plan:
    if bucket not in per_bucket:
      batch = parallel.shard_batch(setup.mesh, batching.gather_batch(buckets, bucket, batch_rows,
                                                                     tc.batch_size))
      one = np.float32(1.0)  # the schedules' values
      cost = setup.train_step.lower(state, batch, setup.keys.train, norm, one,
                                     one).compile().cost_analysis()
      cost = cost[0] if isinstance(cost, (list, tuple)) else cost
      per_bucket[bucket] = float(cost.get("flops", 0.0))
    total += per_bucket[bucket]
  return total, len(per_bucket)


def timeline(history: list[dict], start_unix: float) -> list[dict]:
  """Per epoch: wall seconds since the cold start (the test and unmasked evaluations, the
  benchmark's extras, taken out), the validation metrics, and the test metrics of the
  best-validation epoch so far (what a run stopped at that epoch would report)."""
  rows, best, test_s = [], None, 0.0
  for r in history:
    test_s += r.get("test_eval_s", 0.0) + r.get("unmasked_eval_s", 0.0)
    if best is None or r["valid"]["ndcg@20"] > best["valid"]["ndcg@20"]:
      best = r
    rows.append({"epoch": r["epoch"], "wall_s": r["unix_time"] - start_unix - test_s,
                 "train_s": r["train_s"], "valid_ndcg@20": r["valid"]["ndcg@20"],
                 "valid_unmasked_ndcg@20": r.get("valid_unmasked", {}).get("ndcg@20"),
                 "best_epoch": best["epoch"], "test_recall@10": best["test"]["recall@10"],
                 "test_ndcg@10": best["test"]["ndcg@10"]})
  return rows


def first_reached(rows: list[dict], ok) -> dict | None:
  """The first row for which `ok(row)` holds, or None."""
  return next((r for r in rows if ok(r)), None)


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # libraries' INFO chatter (Orbax) stays quiet
  logs.show_progress()  # the run's own epoch lines, as launch.py prints them
  config = _CONFIG.value
  if config.rsir.rounds:
    raise app.UsageError("time to quality times a baseline: use a config with rsir.rounds=0")
  config.eval.also_unmasked, config.eval.test_each_epoch = True, True
  cli.use_compile_cache(_COMPILE_CACHE.value)
  workdir = _WORKDIR.value or tempfile.mkdtemp(prefix="ttq_")
  results = experiment.run(config, workdir)
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    history = [json.loads(line) for line in f if line.strip()]
  rows = timeline(history, _START_UNIX)
  for r in rows:
    unmasked = r["valid_unmasked_ndcg@20"]
    print(f"epoch {r['epoch']:3d} {r['wall_s']:7.1f}s (train {r['train_s']:5.1f}s) valid "
          f"ndcg@20 {r['valid_ndcg@20']:.4f} unmasked {unmasked:.4f} | test at best epoch "
          f"{r['best_epoch']}: {r['test_recall@10']:.4f} / {r['test_ndcg@10']:.4f}")

  recall_bar, ndcg_bar = map(float, _TEST.value)
  unmasked_hit = first_reached(rows, lambda r: r["valid_unmasked_ndcg@20"] >= _UNMASKED.value)
  test_hit = first_reached(rows, lambda r: r["test_recall@10"] >= recall_bar
                           and r["test_ndcg@10"] >= ndcg_bar)
  # The FLOP count needs a setup of its own (experiment.run keeps its one); loading the data
  # again costs seconds, after the timed run.
  data = load_data(config.data)
  setup = setup_lib.resolve(config, data.split)
  flops, shapes = epoch_flops(setup, data.split.train)
  rate = matmul_flops_per_s()
  mean_epoch_s = float(np.mean([r["train_s"] for r in rows[1:]] or [rows[0]["train_s"]]))
  describe = lambda hit: (f"{hit['wall_s']:.0f} s (epoch {hit['epoch']})" if hit
                          else "not reached")
  t = config.train
  summary = {
      "dataset": config.data.name, "loss": t.loss,
      "negatives": t.num_negatives if t.loss == "sampled" else None,
      "prefix_rows": t.prefix_rows, "batch_size": t.batch_size, "lr": t.lr,
      "lr_schedule": t.lr_schedule, "warmup_epochs": t.warmup_epochs,
      "max_epochs": t.max_epochs, "train_shapes": shapes, "rng": t.rng,
      "dropout": config.model.dropout,
      "dropout_warmup_epochs": t.dropout_warmup_epochs,
      "lr_decay_patience": t.lr_decay_patience, "compile_cache": bool(_COMPILE_CACHE.value),
      "seed": config.seed, "first_epoch_wall_s": rows[0]["wall_s"],
      "s_to_valid_unmasked": unmasked_hit["wall_s"] if unmasked_hit else None,
      "s_to_test_bar": test_hit["wall_s"] if test_hit else None,
      "epochs_to_test_bar": test_hit["epoch"] if test_hit else None,
      "epoch_s": mean_epoch_s, "best_epoch": results["best_epoch"],
      "total_s": rows[-1]["wall_s"], "test_recall@10": results["test"]["recall@10"],
      "test_ndcg@10": results["test"]["ndcg@10"], "epoch_gflop": flops / 1e9,
      "matmul_gflop_per_s": rate / 1e9, "share_of_matmul_rate": flops / mean_epoch_s / rate}
  print(f"unmasked valid NDCG@20 >= {_UNMASKED.value}: {describe(unmasked_hit)}")
  print(f"test at the best-validation epoch >= {recall_bar} / {ndcg_bar}: "
        f"{describe(test_hit)}")
  print(f"final (best epoch {results['best_epoch']} of {len(rows)}): test "
        f"{summary['test_recall@10']:.4f} / {summary['test_ndcg@10']:.4f}, "
        f"{summary['total_s']:.0f} s from a cold start")
  print(f"an epoch: {flops / 1e9:.1f} GFLOP in {mean_epoch_s:.1f} s = "
        f"{flops / mean_epoch_s / 1e9:.1f} GFLOP/s; float32 matmul on this machine "
        f"{rate / 1e9:.1f} GFLOP/s ({summary['share_of_matmul_rate']:.1%} of it)")
  write_rows(_OUT.value, [summary])
  if _OUT.value:  # the per-epoch rows beside the summary
    setup.writer.json(_OUT.value.replace(".json", "_epochs.json"), rows)
  if not _WORKDIR.value:
    shutil.rmtree(workdir)


if __name__ == "__main__":
  app.run(main)
