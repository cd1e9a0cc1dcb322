"""Training and evaluation throughput of the baseline trainer, bucketed vs fixed padding.

  python -m benchmarks.bench_baseline [--dataset=beauty] [--loss=ce] [--epochs=1]
      [--prefix_rows] [--negatives=row] [--out=runs/bench/baseline.json]

For each batching (sequence rows in length buckets from the default config, sequence rows
padded to max_len, and with --prefix_rows one row per prefix in length buckets with 2048 rows
per batch, the per-dataset configs' setup), it compiles, runs one warm-up epoch, then times
`--epochs` epochs of training (rows/s, targets/s) and a full-ranking evaluation of all
validation users (users/s). All are measured in the same process, so the ratios are
meaningful even on a noisy machine. `--out` writes the rows for docs/results.md.
"""

import time

import jax
from absl import app, flags

from benchmarks.common import write_rows
from rsir_jax import batching, default_config, evaluation, models, train_step
from rsir_jax.data.load import load_split

_DATASET = flags.DEFINE_string("dataset", "beauty", "Named dataset.")
_LOSS = flags.DEFINE_string("loss", "ce", "Loss (ce, sampled, bce).")
_NEGATIVES = flags.DEFINE_string("negatives", "shared",
                                 "Sampled softmax's negatives (shared, row).")
_EPOCHS = flags.DEFINE_integer("epochs", 1, "Timed epochs per batching.")
_PREFIX = flags.DEFINE_bool("prefix_rows", False, "Also time prefix rows (batch 2048).")
_FIXED = flags.DEFINE_bool("fixed_padding", True, "Also time fixed padding to max_len.")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")


def _time_training(config, split, model, bucket_lengths, epochs, prefix_rows=False):
  tc = config.train
  buckets = batching.make_train_buckets(split.train, model.max_len, bucket_lengths, prefix_rows)
  optimizer = train_step.make_optimizer(tc.lr)
  step = train_step.make_train_step(model, optimizer, tc.loss, tc.num_negatives,
                                    negatives=tc.negatives)
  state = train_step.init_state(model, optimizer, jax.random.key(0))
  key = jax.random.key(1)

  def one_epoch(state, epoch):
    loss = 0.0
    for bucket, rows in batching.epoch_plan(buckets, tc.batch_size, 0, epoch):
      state, value = step(state, batching.gather_batch(buckets, bucket, rows, tc.batch_size), key)
      loss += value
    jax.block_until_ready(loss)
    return state

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
  config = default_config.get_base_config()
  config.data.name, config.train.loss = _DATASET.value, _LOSS.value
  config.train.negatives = _NEGATIVES.value
  split, info = load_split(config.data)
  model = models.build(config.model, split.num_items)
  print(f"{info['path']}: {info['users']} users, {info['items']} items; loss {_LOSS.value} "
        f"({_NEGATIVES.value} negatives), "
        f"batch {config.train.batch_size}, d={config.model.dim}, {jax.devices()[0].platform}")
  rows = {}
  buckets = tuple(config.data.bucket_lengths)
  variants = [("bucketed", buckets, False, config.train.batch_size)]
  if _FIXED.value:
    variants.append(("fixed-50", (config.model.max_len,), False, config.train.batch_size))
  if _PREFIX.value:
    variants.append(("prefixes", buckets, True, 2048))
  for name, lengths, prefix_rows, batch_size in variants:
    config.train.batch_size = batch_size
    params, train = _time_training(config, split, model, lengths, _EPOCHS.value, prefix_rows)
    rows[name] = {**train, **_time_eval(config, split, model, params, lengths)}
    r = rows[name]
    print(f"{name:9} batch={batch_size} buckets={r['buckets']} padding={r['padding_share']:.0%} "
          f"first epoch (compile) {r['first_epoch_s']:.1f}s | epoch {r['epoch_s']:.1f}s, "
          f"{r['rows_per_s']:.0f} rows/s, {r['targets_per_s']:.0f} targets/s | "
          f"eval {r['eval_s']:.2f}s, {r['users_per_s']:.0f} users/s")
  b = rows["bucketed"]
  for r in rows.values():
    r["epoch_vs_bucketed"] = r["epoch_s"] / b["epoch_s"]
  if "fixed-50" in rows:
    f = rows["fixed-50"]
    print(f"speedup of bucketing over fixed padding: training x{f['epoch_s'] / b['epoch_s']:.2f}, "
          f"evaluation x{f['eval_s'] / b['eval_s']:.2f}")
  if "prefixes" in rows:
    print(f"prefix rows cost x{rows['prefixes']['epoch_s'] / b['epoch_s']:.2f} the epoch time of "
          "bucketed sequence rows")
  write_rows(_OUT.value, [{"dataset": _DATASET.value, "loss": _LOSS.value,
                           "negatives": _NEGATIVES.value, "batching": name,
                           **{k: v for k, v in r.items() if k != "buckets"}}
                          for name, r in rows.items()])


if __name__ == "__main__":
  app.run(main)
