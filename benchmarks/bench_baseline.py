"""Training and evaluation throughput of the baseline trainer, bucketed vs fixed padding.

  python -m benchmarks.bench_baseline [--dataset=beauty] [--loss=ce] [--epochs=1]

For each batching (length buckets from the default config, and every row padded to max_len),
it compiles, runs one warm-up epoch, then times `--epochs` epochs of training (sequences/s,
targets/s) and a full-ranking evaluation of all validation users (users/s). Both are measured
in the same process, so the ratio is meaningful even on a noisy machine.
"""

import time

import jax
from absl import app, flags

from rsir_jax import batching, default_config, evaluation, train_step, trainer
from rsir_jax.data.load import load_split

_DATASET = flags.DEFINE_string("dataset", "beauty", "Named dataset.")
_LOSS = flags.DEFINE_string("loss", "ce", "Loss (ce, sampled, bce).")
_EPOCHS = flags.DEFINE_integer("epochs", 1, "Timed epochs per batching.")


def _time_training(config, split, bucket_lengths, epochs):
  cfg = trainer.model_config(config, split.num_items)
  tc = config.train
  buckets = batching.make_train_buckets(split.train, cfg.max_len, bucket_lengths)
  step = train_step.make_train_step(cfg, tc.loss, tc.num_negatives, tc.lr)
  state = train_step.init_state(cfg, train_step.make_optimizer(tc.lr), jax.random.key(0))
  key = jax.random.key(1)

  def one_epoch(state, epoch):
    loss = 0.0
    for bucket, rows in batching.epoch_plan(buckets, tc.batch_size, 0, epoch):
      state, value = step(state, *batching.gather_batch(buckets, bucket, rows, tc.batch_size), key)
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
  return state["params"], {"buckets": buckets.sizes, "first_epoch_s": warm_s, "epoch_s": epoch_s,
                           "seq_per_s": buckets.num_rows / epoch_s,
                           "targets_per_s": buckets.num_targets / epoch_s,
                           "padding_share": 1 - buckets.num_targets / padded}


def _time_eval(config, split, params, bucket_lengths):
  cfg = trainer.model_config(config, split.num_items)
  batches = batching.make_eval_batches(split.valid_inputs, split.valid_targets, cfg.max_len,
                                       bucket_lengths, config.eval.batch_size)
  evaluation.evaluate(params, cfg, batches)  # compile
  t0 = time.perf_counter()
  evaluation.evaluate(params, cfg, batches)
  eval_s = time.perf_counter() - t0
  return {"eval_s": eval_s, "users_per_s": len(split.valid_targets) / eval_s}


def main(argv):
  del argv
  config = default_config.get_base_config()
  config.data.name, config.train.loss = _DATASET.value, _LOSS.value
  split, info = load_split(config.data)
  print(f"{info['path']}: {info['users']} users, {info['items']} items; loss {_LOSS.value}, "
        f"batch {config.train.batch_size}, d={config.model.dim}, {jax.devices()[0].platform}")
  rows = {}
  for name, lengths in (("bucketed", tuple(config.data.bucket_lengths)),
                        ("fixed-50", (config.model.max_len,))):
    params, train = _time_training(config, split, lengths, _EPOCHS.value)
    rows[name] = {**train, **_time_eval(config, split, params, lengths)}
    r = rows[name]
    print(f"{name:9} buckets={r['buckets']} padding={r['padding_share']:.0%} "
          f"first epoch (compile) {r['first_epoch_s']:.1f}s | epoch {r['epoch_s']:.1f}s, "
          f"{r['seq_per_s']:.0f} seq/s, {r['targets_per_s']:.0f} targets/s | "
          f"eval {r['eval_s']:.2f}s, {r['users_per_s']:.0f} users/s")
  b, f = rows["bucketed"], rows["fixed-50"]
  print(f"speedup of bucketing over fixed padding: training x{f['epoch_s'] / b['epoch_s']:.2f}, "
        f"evaluation x{f['eval_s'] / b['eval_s']:.2f}")


if __name__ == "__main__":
  app.run(main)
