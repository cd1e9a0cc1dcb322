"""Training and evaluation throughput of the baseline trainer, bucketed vs fixed padding.

  python -m benchmarks.bench_baseline [--dataset=beauty] [--loss=ce] [--epochs=1]
      [--prefix_rows] [--negatives=shared,row] [--negatives_chunk=-1,0]
      [--negatives_pool=2048]
      [--steps_per_call=1] [--out=runs/bench/baseline.json]

For each batching (sequence rows in length buckets from the default config, sequence rows
padded to max_len, and with --prefix_rows one row per prefix in length buckets with 2048 rows
per batch, the per-dataset configs' setup), it compiles, runs one warm-up epoch, then times
`--epochs` epochs of training (rows/s, targets/s) and a full-ranking evaluation of all
validation users (users/s). All are measured in the same process, so the ratios are
meaningful even on a noisy machine; `--negatives=shared,row` (with --loss=sampled) times each
batching under each rule of sampled-softmax negatives named (also row_pool,
row_from_pool), "row" and "row_from_pool" once per value of `--negatives_chunk`
(train.negatives_chunk: -1 the default, 0 every position at once), "row_from_pool" once per
value of `--negatives_pool` (train.negatives_pool). `epoch_vs_bucketed` is
each row's epoch time over the first row's (bucketed sequence rows, the first negatives). `--out`
writes the rows for docs/results.md.
"""

import time

import jax
from absl import app, flags

from benchmarks.training_epochs import epoch_runner
from rsir_jax import config as config_lib
from rsir_jax import models
from rsir_jax.data.load import load_split
from rsir_jax.files.provenance import write_rows
from rsir_jax.train import batching, evaluation

_DATASET = flags.DEFINE_string("dataset", "beauty", "Named dataset.")
_LOSS = flags.DEFINE_string("loss", "ce", "Loss (ce, sampled, bce).")
_NEGATIVES = flags.DEFINE_list("negatives", ["shared"],
                               "Sampled softmax's negatives, each timed (shared, row).")
_CHUNKS = flags.DEFINE_list("negatives_chunk", ["-1"],
                            "train.negatives_chunk values timed for row and row_from_pool "
                            "negatives.")
_POOLS = flags.DEFINE_list("negatives_pool", ["2048"],
                           "train.negatives_pool values timed for row_from_pool negatives.")
_STEPS = flags.DEFINE_integer("steps_per_call", 1, "train.steps_per_call.")
_EPOCHS = flags.DEFINE_integer("epochs", 1, "Timed epochs per batching.")
_PREFIX = flags.DEFINE_bool("prefix_rows", False, "Also time prefix rows (batch 2048).")
_FIXED = flags.DEFINE_bool("fixed_padding", True, "Also time fixed padding to max_len.")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")


def _time_training(config, split, model, bucket_lengths, epochs, prefix_rows=False):
  one_epoch, state, buckets = epoch_runner(config, split, model, bucket_lengths, prefix_rows)
  t0 = time.perf_counter()
  state = one_epoch(state, 0)  # compiles every bucket shape
  warm_s = time.perf_counter() - t0
  t0 = time.perf_counter()
  for e in range(epochs):
    state = one_epoch(state, e + 1)
  epoch_s = (time.perf_counter() - t0) / epochs
  padded = sum(x.size for x in buckets.inputs)
  real = sum(int((x > 0).sum()) for x in buckets.inputs)
  return state["params"], {"buckets": buckets.sizes, "first_epoch_s": warm_s, "epoch_s": epoch_s,
                           "rows_per_s": buckets.num_rows / epoch_s,
                           "targets_per_s": buckets.num_targets / epoch_s,
                           "padding_share": 1 - real / padded}


def _time_eval(config, split, model, params, bucket_lengths):
  batches = batching.make_eval_batches(split.valid_inputs, split.valid_targets, model.max_len,
                                       bucket_lengths, config.eval.batch_size)
  evaluation.evaluate(params, model, batches)  # compile
  t0 = time.perf_counter()
  evaluation.evaluate(params, model, batches)
  eval_s = time.perf_counter() - t0
  return {"eval_s": eval_s, "users_per_s": len(split.valid_targets) / eval_s}


def main(argv):
  del argv
  config = config_lib.get_base_config()
  config.data.name, config.train.loss = _DATASET.value, _LOSS.value
  split, info = load_split(config.data)
  model = models.build(config.model, split.num_items)
  print(f"{info['file']}: {info['users']} users, {info['items']} items; loss {_LOSS.value}, "
        f"d={config.model.dim}, {jax.devices()[0].platform}")
  buckets = tuple(config.data.bucket_lengths)
  variants = [("bucketed", buckets, False, config.train.batch_size)]
  if _FIXED.value:
    variants.append(("fixed-50", (config.model.max_len,), False, config.train.batch_size))
  if _PREFIX.value:
    variants.append(("prefixes", buckets, True, 2048))
  rows = []
  config.train.steps_per_call = _STEPS.value
  chunked = ("row", "row_from_pool")  # the rules train.negatives_chunk applies to
  timed = [(n, int(c), int(p)) for n in _NEGATIVES.value
           for c in (_CHUNKS.value if n in chunked else ["-1"])
           for p in (_POOLS.value if n == "row_from_pool" else ["2048"])]
  for negatives, chunk, pool in timed:
    config.train.negatives, config.train.negatives_chunk = negatives, chunk
    config.train.negatives_pool = pool
    label = (f"{negatives}" + (f" (chunk {chunk}" if negatives in chunked else "")
             + (f", pool {pool}" if negatives == "row_from_pool" else "")
             + (")" if negatives in chunked else ""))
    for name, lengths, prefix_rows, batch_size in variants:
      config.train.batch_size = batch_size
      params, train = _time_training(config, split, model, lengths, _EPOCHS.value, prefix_rows)
      r = {"dataset": _DATASET.value, "loss": _LOSS.value, "negatives": negatives,
           "negatives_chunk": chunk if negatives in chunked else None,
           "negatives_pool": pool if negatives == "row_from_pool" else None,
           "steps_per_call": _STEPS.value, "batching": name, **train,
           **_time_eval(config, split, model, params, lengths)}
      rows.append(r)
      print(f"{name:9} {label} negatives, batch={batch_size} buckets={r['buckets']} "
            f"padding={r['padding_share']:.0%} first epoch (compile) "
            f"{r['first_epoch_s']:.1f}s | epoch {r['epoch_s']:.1f}s, {r['rows_per_s']:.0f} "
            f"rows/s, {r['targets_per_s']:.0f} targets/s | eval {r['eval_s']:.2f}s, "
            f"{r['users_per_s']:.0f} users/s | x{r['epoch_s'] / rows[0]['epoch_s']:.2f} the "
            "epoch time of the first row")
  for r in rows:
    r["epoch_vs_bucketed"] = r["epoch_s"] / rows[0]["epoch_s"]
    del r["buckets"]
  write_rows(_OUT.value, rows)


if __name__ == "__main__":
  app.run(main)
