"""Generation throughput: trajectories/s with and without the key/value cache, and the wall
time of one full round of generation.

  python -m benchmarks.bench_sampler --workdir=runs/<a finished baseline run> [--m=5]

The model is the best checkpoint of a finished baseline run (its config.json is read back),
because trajectory lengths, and so the cost, depend on how good the model is. Both decoders
run on the same sources in the same process; the full round uses the cached one.
"""

import dataclasses
import json
import os
import time

import jax
import numpy as np
from absl import app, flags

from rsir_jax import default_config, generation, logs, rounds, trainer
from rsir_jax.data.load import load_split

_WORKDIR = flags.DEFINE_string("workdir", None, "A finished baseline run.", required=True)
_M = flags.DEFINE_integer("m", 5, "Trajectories per source.")
_TAU = flags.DEFINE_integer("tau", 5, "Rank threshold.")
_P = flags.DEFINE_float("p", 0.5, "Exploitation probability.")
_SAMPLE = flags.DEFINE_integer("sample_sources", 1024, "Sources for the cached/uncached comparison.")


def _timed(fn):
  t0 = time.perf_counter()
  out = jax.block_until_ready(fn())
  return out, time.perf_counter() - t0


def main(argv):
  del argv
  logs.show_progress()
  config = default_config.get_base_config()  # defaults for fields the run predates
  with open(os.path.join(_WORKDIR.value, "config.json")) as f:
    config.update(json.load(f))
  config.rsir.m, config.rsir.tau, config.rsir.p = _M.value, _TAU.value, _P.value
  split, _ = load_split(config.data)
  _, params = trainer.train(config, split, _WORKDIR.value)  # finished: restores, no training
  cfg = trainer.model_config(config, split.num_items)
  gen = rounds.gen_config(config)
  print(f"{jax.devices()[0].platform}: tau={gen.tau} p={gen.p_exploit} m={_M.value} "
        f"max_len={gen.max_len} chunk={config.rsir.chunk_size}")

  rows = split.train[:_SAMPLE.value]
  key = jax.random.key(0)
  for use_cache in (True, False):
    g = gen if use_cache else dataclasses.replace(gen, use_cache=False)
    run = lambda: generation.generate_round(params, cfg, g, rows, _M.value, key,
                                            config.rsir.chunk_size)
    _timed(run)  # compile
    (items, lengths, _, _), seconds = _timed(run)
    print(f"{'cached' if use_cache else 'uncached':8}: {len(lengths)} trajectories in "
          f"{seconds:.2f}s = {len(lengths) / seconds:.0f}/s, mean length {np.mean(lengths):.2f}")

  (items, lengths, reasons, _), seconds = _timed(lambda: generation.generate_round(
      params, cfg, gen, split.train, _M.value, key, config.rsir.chunk_size))
  print(f"full round: {len(split.train)} sources x m={_M.value} = {len(lengths)} trajectories "
        f"in {seconds:.1f}s ({len(lengths) / seconds:.0f}/s), mean length {np.mean(lengths):.2f}")


if __name__ == "__main__":
  app.run(main)
