"""Train steps per second by train.steps_per_call: one step per dispatch against a lax.scan
over several, on batches of one shape, all in one process.

  python -m benchmarks.bench_dispatch [--config=configs/sasrec_beauty.py:smoke]
      [--steps_per_call=1,2,4,8,16] [--steps=256] [--tiny] [--out=runs/bench/dispatch.json]

`--tiny` shrinks the model to d = 16, one layer, 64 rows of 8 items per batch: a step whose
compute is a few microseconds, so the time per step is the dispatch's (what a GPU or TPU
sees with the real model). The batches are the config's training rows of one length bucket
in the epoch's order, gathered and stacked on the host per call as the trainer does. Each
setting's `flop_s` is the step's FLOPs (XLA's cost analysis) times steps/s, and
`share_of_matmul` that over the rate of a 2048^3 float32 matmul timed in the same run.
"""

import time

import jax
import numpy as np
from absl import app, flags
from ml_collections import config_flags

from rsir_jax import parallel
from rsir_jax.data.load import load_data
from rsir_jax.files.provenance import write_rows
from rsir_jax.run import setup as setup_lib
from rsir_jax.train import batching
from rsir_jax.train import step as train_step

_CONFIG = config_flags.DEFINE_config_file("config", "configs/sasrec_beauty.py:smoke",
                                          "The config whose train step is timed.")
_STEPS_PER_CALL = flags.DEFINE_list("steps_per_call", ["1", "2", "4", "8", "16"],
                                    "train.steps_per_call values timed.")
_STEPS = flags.DEFINE_integer("steps", 256, "Steps timed per setting (a multiple of each).")
_TINY = flags.DEFINE_bool("tiny", False, "d = 16, 1 layer, batches of 64 rows of 8 items.")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")


def _matmul_rate(n: int = 2048, repeats: int = 5) -> float:
  a_NxN = jax.random.normal(jax.random.key(0), (n, n))
  product = jax.jit(lambda a: a @ a)
  jax.block_until_ready(product(a_NxN))
  best = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    jax.block_until_ready(product(a_NxN))
    best.append(time.perf_counter() - t0)
  return 2 * n ** 3 / min(best)


def _time_setting(config, data, k: int, steps: int) -> dict:
  """Steps/s with `k` steps per call over `steps` steps (after one untimed warm-up pass)."""
  config = config.copy_and_resolve_references()
  config.train.steps_per_call = k
  setup = setup_lib.resolve(config, data.split)
  tc = config.train
  buckets = batching.make_train_buckets(data.split.train, setup.model.max_len,
                                        config.data.bucket_lengths, tc.prefix_rows)
  bucket = int(np.argmax([len(x) for x in buckets.inputs]))  # the most rows: one shape
  plan = [p for p in batching.epoch_plan(buckets, tc.batch_size, config.seed, 0)
          if p[0] == bucket]
  gather = lambda i: batching.gather_batch(buckets, *plan[i % len(plan)], tc.batch_size)
  # Placed as the trainer places them (the jit cache keys on the inputs' placement: a state
  # or loss placed otherwise would compile again).
  state = parallel.replicate(setup.mesh, train_step.init_state(setup.model, setup.optimizer,
                                                               setup.keys.init))
  one = parallel.replicate(setup.mesh, np.float32(1.0))

  def run(state, loss):
    for call in range(steps // k):
      if k == 1:
        state, value = setup.train_step(state, gather(call), setup.keys.train)
        loss = loss + value
      else:
        batches = batching.stack_batches([gather(call * k + j) for j in range(k)])
        state, loss = setup.train_step.many(state, batches, setup.keys.train, 0.0, [1.0] * k,
                                            [1.0] * k, [True] * k, loss)
    return state, jax.block_until_ready(loss)

  zero = parallel.replicate(setup.mesh, np.float32(0.0))
  state, _ = run(state, zero)  # compiles
  t0 = time.perf_counter()
  state, _ = run(state, zero)
  seconds = time.perf_counter() - t0
  cost = setup.train_step.lower(state, gather(0), setup.keys.train, one, one, one
                                ).compile().cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  return {"steps_per_call": k, "steps_per_s": steps / seconds,
          "step_flops": float(cost.get("flops", 0.0)),
          "batch_shape": list(gather(0).inputs_BxL.shape)}


def main(argv):
  del argv
  config = _CONFIG.value
  if _TINY.value:
    config.model.dim, config.model.num_layers, config.model.num_heads = 16, 1, 1
    config.train.batch_size, config.data.bucket_lengths = 64, (8,)
  data = load_data(config.data)
  rate = _matmul_rate()
  print(f"{jax.devices()[0].platform}: a 2048^3 float32 matmul runs at {rate / 1e9:.0f} GFLOP/s")
  rows = []
  for k in map(int, _STEPS_PER_CALL.value):
    steps = max(k, _STEPS.value // k * k)
    r = {"dataset": config.data.name, "tiny": _TINY.value, "platform": jax.devices()[0].platform,
         **_time_setting(config, data, k, steps)}
    r["flop_s"] = r["step_flops"] * r["steps_per_s"]
    r["share_of_matmul"] = r["flop_s"] / rate
    r["vs_one_per_call"] = r["steps_per_s"] / rows[0]["steps_per_s"] if rows else 1.0
    rows.append(r)
    print(f"steps_per_call={k:3d}: {r['steps_per_s']:8.1f} steps/s ({r['vs_one_per_call']:.2f} x "
          f"one per call), batch {r['batch_shape']}, {r['flop_s'] / 1e9:.2f} GFLOP/s = "
          f"{r['share_of_matmul']:.1%} of the matmul rate", flush=True)
  write_rows(_OUT.value, rows)


if __name__ == "__main__":
  app.run(main)
