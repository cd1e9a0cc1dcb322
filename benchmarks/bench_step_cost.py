"""Where an epoch's time goes: the train step of a config timed with one part changed at a
time (a profile by ablation), all in one process so the ratios hold on a noisy machine.

  python -m benchmarks.bench_step_cost --config=configs/sasrec_beauty.py \
      [--variants=base,rbg,no_dropout,...] [--fraction=0.5] [--out=runs/bench/step_cost.json]

For each variant (the config with the overrides of VARIANTS[name]) it resolves a run setup as
training does, compiles every bucket shape of an epoch (timed: `compile_s`, the cold-start
cost that the persistent compilation cache removes), then times the first `--fraction` of an
epoch's batches in the epoch's shuffled order and scales to a whole epoch (`epoch_s`).
`vs_base` is each variant's epoch time over the first variant's. Variants that change the
result (no dropout, a smaller feed-forward) are there to show what a part costs, not as
settings to use.
"""

import time

import jax
from absl import app, flags
from ml_collections import config_flags

from rsir_jax.data.load import load_data
from rsir_jax.files.provenance import write_rows
from rsir_jax.run import setup as setup_lib
from rsir_jax.train import batching
from rsir_jax.train import step as train_step

VARIANTS = {
    "base": {},
    "threefry": {"train.rng": "threefry"},
    "rbg": {"train.rng": "rbg"},
    "no_dropout": {"model.dropout": 0.0, "model.attn_dropout": 0.0},
    "sampled_256": {"train.loss": "sampled", "train.num_negatives": 256},
    "sampled_1024": {"train.loss": "sampled", "train.num_negatives": 1024},
    "sampled_4096": {"train.loss": "sampled", "train.num_negatives": 4096},
    "row_negatives_256": {"train.loss": "sampled", "train.negatives": "row"},
    "buckets_8_16_32": {"data.bucket_lengths": (8, 16, 32)},
    "batch_512": {"train.batch_size": 512},
    "batch_2048": {"train.batch_size": 2048},
    "ffn_mult_2": {"model.ffn_mult": 2},
}

_CONFIG = config_flags.DEFINE_config_file("config", "configs/sasrec_beauty.py",
                                          "The config whose train step is timed.")
_VARIANTS = flags.DEFINE_list("variants", list(VARIANTS), f"Names from {list(VARIANTS)}; the "
                              "first is the reference of vs_base.")
_FRACTION = flags.DEFINE_float("fraction", 0.5, "Share of an epoch's batches timed.")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")


def time_variant(config, data, overrides: dict, fraction: float) -> dict:
  """Compile seconds (every bucket shape, first step each) and the epoch seconds estimated
  from the first `fraction` of the epoch's batches, for `config` with `overrides`."""
  config = config.copy_and_resolve_references()
  for field, value in overrides.items():
    section, name = field.split(".")
    config[section][name] = value
  setup = setup_lib.resolve(config, data.split)
  tc = config.train
  buckets = batching.make_train_buckets(data.split.train, setup.model.max_len,
                                        config.data.bucket_lengths, tc.prefix_rows)
  plan = batching.epoch_plan(buckets, tc.batch_size, config.seed, 0)
  batch = lambda b, rows: batching.gather_batch(buckets, b, rows, tc.batch_size)
  state = train_step.init_state(setup.model, setup.optimizer, setup.keys.init)
  t0 = time.perf_counter()
  for b in sorted({b for b, _ in plan}):  # one step per shape: compiles it
    rows = next(r for bb, r in plan if bb == b)
    state, loss = setup.train_step(state, batch(b, rows), setup.keys.train)
  jax.block_until_ready(loss)
  compile_s = time.perf_counter() - t0
  timed = plan[:max(1, int(len(plan) * fraction))]
  t0 = time.perf_counter()
  for b, rows in timed:
    state, loss = setup.train_step(state, batch(b, rows), setup.keys.train)
  jax.block_until_ready(loss)
  seconds = time.perf_counter() - t0
  padded = sum(x.size for x in buckets.inputs)
  return {"compile_s": compile_s, "epoch_s": seconds * len(plan) / len(timed),
          "batches": len(plan), "shapes": len(buckets.sizes),
          "padding_share": 1.0 - sum(int((x > 0).sum()) for x in buckets.inputs) / padded}


def main(argv):
  del argv
  unknown = [v for v in _VARIANTS.value if v not in VARIANTS]
  if unknown:
    raise app.UsageError(f"unknown variants {unknown}; known: {list(VARIANTS)}")
  config = _CONFIG.value
  data = load_data(config.data)
  rows = []
  for name in _VARIANTS.value:
    r = {"dataset": config.data.name, "variant": name,
         **time_variant(config, data, VARIANTS[name], _FRACTION.value)}
    r["vs_base"] = r["epoch_s"] / rows[0]["epoch_s"] if rows else 1.0
    rows.append(r)
    print(f"{name:18s} epoch {r['epoch_s']:6.1f} s ({r['vs_base']:.2f} x)  compile "
          f"{r['compile_s']:5.1f} s  {r['shapes']} shapes, padding {r['padding_share']:.0%}",
          flush=True)
  write_rows(_OUT.value, rows)


if __name__ == "__main__":
  app.run(main)
