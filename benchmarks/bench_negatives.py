"""The cost of each rule of sampled-softmax negatives against shared negatives, with the
rules' epochs interleaved, so that this machine's swings in speed (its matmul rate changes
from minute to minute) fall on every rule alike.

  python -m benchmarks.bench_negatives [--negatives=shared,row,row_from_pool] [--rounds=5]
      [--negatives_pool=2048] [--out=runs/bench/negatives_interleaved.json]

Each rule is compiled and warmed up on one epoch first (Beauty, the paper's training: batch
256, bucketed sequence rows, 256 negatives); then, round after round, every rule trains one
epoch in turn (the same epoch's order for all of them). Per rule: the median epoch time and,
per round, its epoch over the first rule's epoch of the same round (`vs_first`: median,
lowest and highest over the rounds).
"""

import time

import jax
import numpy as np
from absl import app, flags

from benchmarks.training_epochs import epoch_runner
from rsir_jax import config as config_lib
from rsir_jax import models
from rsir_jax.data.load import load_split
from rsir_jax.files.provenance import write_rows

_DATASET = flags.DEFINE_string("dataset", "beauty", "Named dataset.")
_NEGATIVES = flags.DEFINE_list("negatives", ["shared", "row", "row_from_pool"],
                               "train.negatives rules, the first one the reference.")
_POOL = flags.DEFINE_integer("negatives_pool", 2048, "train.negatives_pool for row_from_pool.")
_ROUNDS = flags.DEFINE_integer("rounds", 5, "Timed epochs per rule, interleaved.")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")


def main(argv):
  del argv
  config = config_lib.get_base_config()
  config.data.name, config.train.loss = _DATASET.value, "sampled"
  config.train.negatives_pool = _POOL.value
  split, _ = load_split(config.data)
  model = models.build(config.model, split.num_items)
  buckets = tuple(config.data.bucket_lengths)
  runners = {}
  for rule in _NEGATIVES.value:
    config.train.negatives = rule
    one_epoch, state, _ = epoch_runner(config, split, model, buckets)
    t0 = time.perf_counter()
    state = one_epoch(state, 0)  # compiles every bucket shape
    print(f"{rule}: compiled and warmed up in {time.perf_counter() - t0:.1f} s", flush=True)
    runners[rule] = [one_epoch, state]
  times = {rule: [] for rule in runners}
  for r in range(_ROUNDS.value):
    for rule, runner in runners.items():
      t0 = time.perf_counter()
      runner[1] = runner[0](runner[1], r + 1)
      times[rule].append(time.perf_counter() - t0)
    print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
          flush=True)
  first = np.asarray(times[_NEGATIVES.value[0]])
  rows = []
  for rule, ts in times.items():
    ratio = np.asarray(ts) / first
    rows.append({"dataset": _DATASET.value, "negatives": rule,
                 "negatives_pool": _POOL.value if rule == "row_from_pool" else None,
                 "rounds": _ROUNDS.value, "epoch_s_median": float(np.median(ts)),
                 "epoch_s_min": float(np.min(ts)), "epoch_s_max": float(np.max(ts)),
                 "vs_first_median": float(np.median(ratio)),
                 "vs_first_min": float(np.min(ratio)), "vs_first_max": float(np.max(ratio)),
                 "platform": jax.devices()[0].platform})
    print(f"{rule:14s} epoch {np.median(ts):.2f} s (median; {np.min(ts):.2f}-{np.max(ts):.2f}) "
          f"| x{np.median(ratio):.2f} the first rule's epoch of the same round "
          f"({np.min(ratio):.2f}-{np.max(ratio):.2f})")
  write_rows(_OUT.value, rows)


if __name__ == "__main__":
  app.run(main)
