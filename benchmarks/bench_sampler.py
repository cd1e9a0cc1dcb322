"""Generation throughput on a sample of sources: trajectories/s with and without the
key/value cache (all trajectories advancing together, slots = 0) and with slot refilling
(fewer slots, each taking the next source as its trajectory stops); then the wall time of one
full round of generation with the run's chunk_size and slots (compiling included, then warm).

  python -m benchmarks.bench_sampler --workdir=runs/<a finished baseline run> [--m=5]
      [--tau=20 --slots=32,256 --chunk_size=16384 --full_round_slots=32]
      [--out=runs/bench/sampler_tau20.json]

The model is the best checkpoint of a finished baseline run (its config.json is read back),
because trajectory lengths, and so the cost, depend on how good the model is. Both decoders
run on the same sources in the same process; the full round uses the cached one. `--out`
writes the rows for docs/results.md.
"""

import dataclasses
import os
import time

import jax
import numpy as np
from absl import app, flags

from rsir_jax import logs
from rsir_jax.data.load import load_split
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.provenance import write_rows
from rsir_jax.generate import rollouts
from rsir_jax.run import setup as setup_lib
from rsir_jax.run import trainer

_WORKDIR = flags.DEFINE_string("workdir", None, "A finished baseline run, or an RSIR run whose "
                                "round 0 is finished (its model is the one timed).", required=True)
_M = flags.DEFINE_integer("m", 5, "Trajectories per source.")
_TAU = flags.DEFINE_integer("tau", 5, "Rank threshold.")
_P = flags.DEFINE_float("p", 0.5, "Exploitation probability.")
_SAMPLE = flags.DEFINE_integer("sample_sources", 1024,
                               "Sources for the cached/uncached comparison.")
_CHUNK = flags.DEFINE_integer("chunk_size", 0,
                              "Trajectories per call (0: the run's rsir.chunk_size).")
_SLOTS = flags.DEFINE_list("slots", ["32", "256", "1024"],
                           "Slot settings compared on the sample (against all at once).")
_FULL_SLOTS = flags.DEFINE_integer("full_round_slots", None, "Slots for the full round "
                                   "(default: the run's rsir.slots).")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")


def _timed(fn):
  t0 = time.perf_counter()
  out = jax.block_until_ready(fn())
  return out, time.perf_counter() - t0


def _matmul_rate(n: int = 2048, repeats: int = 5) -> float:
  """This machine's float32 matmul rate now (FLOP/s of an n x n x n product, the best of
  `repeats`): the reference for the scoring work's share."""
  a_NxN = jax.random.normal(jax.random.key(0), (n, n))
  product = jax.jit(lambda a: a @ a)
  jax.block_until_ready(product(a_NxN))
  return 2 * n ** 3 / min(_timed(lambda: product(a_NxN))[1] for _ in range(repeats))


def main(argv):
  del argv
  logs.show_progress()
  config = workdir_lib.read_config(_WORKDIR.value)
  config.rsir.m, config.rsir.tau, config.rsir.p = _M.value, _TAU.value, _P.value
  chunk = _CHUNK.value or config.rsir.chunk_size
  full_slots = config.rsir.slots if _FULL_SLOTS.value is None else _FULL_SLOTS.value
  split, _ = load_split(config.data)
  setup = setup_lib.resolve(config, split)
  full_slots = setup_lib.generation_slots(full_slots, setup.mesh)
  train_dir = _WORKDIR.value
  if os.path.isdir(os.path.join(train_dir, "round_0")):
    train_dir = os.path.join(train_dir, "round_0", "train")  # an RSIR run
  params = trainer.restore_best(setup, train_dir).params
  model, sampling = setup.model, setup.sampling
  print(f"{jax.devices()[0].platform}: tau={sampling.tau} p={sampling.p_exploit} m={_M.value} "
        f"max_len={sampling.max_len} chunk={chunk}")

  rows = split.train[:_SAMPLE.value]
  key = jax.random.key(0)
  sample = len(rows) * _M.value  # one call: every trajectory of the sample together
  settings = [("cached, slots=0", sampling, 0),
              ("uncached, slots=0", dataclasses.replace(sampling, use_cache=False), 0)]
  settings += [(f"cached, slots={n}", sampling, n) for n in map(int, _SLOTS.value) if n]
  reference, out_rows = None, []
  for name, s, slots in settings:
    run = lambda: rollouts.generate_round(params, model, s, rows, _M.value, key, sample,
                                            slots=slots)
    _timed(run)  # compile
    out, seconds = _timed(run)
    reference = reference or (seconds, out.items)
    same = bool(np.array_equal(out.items, reference[1]))
    print(f"{name:18}: {len(out.lengths)} trajectories in {seconds:.2f}s = "
          f"{len(out.lengths) / seconds:.0f}/s ({reference[0] / seconds:.2f}x cached slots=0), "
          f"mean length {np.mean(out.lengths):.2f}, same trajectories: {same}")
    out_rows.append({"tau": sampling.tau, "setting": name, "trajectories": len(out.lengths),
                     "seconds": seconds, "per_s": len(out.lengths) / seconds,
                     "speed_vs_all_at_once": reference[0] / seconds, "same_trajectories": same})

  reference = _matmul_rate()
  print(f"reference: a 2048^3 float32 matmul runs at {reference / 1e9:.0f} GFLOP/s here now")
  full_round = lambda: rollouts.generate_round(
      params, model, sampling, split.train, _M.value, key, chunk, slots=full_slots)
  for when in ("compiling included", "warm"):  # a run's first round, then any later one
    out, seconds = _timed(full_round)
    # A trajectory of n items took n loop steps (the start is placed, each step judges one
    # context and extends it or stops), each scoring the whole catalogue: the work.
    steps = int(np.sum(out.lengths))
    share = 2 * steps * model.dim * (model.num_items + 1) / seconds / reference
    print(f"full round (chunk {chunk}, slots {full_slots}, {when}): "
          f"{len(split.train)} sources x m={_M.value} = {len(out.lengths)} trajectories in "
          f"{seconds:.1f}s ({len(out.lengths) / seconds:.0f}/s), "
          f"mean length {np.mean(out.lengths):.2f}; its scoring ran at {share:.0%} of the "
          "reference matmul rate")
    out_rows.append({"tau": sampling.tau, "setting": f"full round, slots={full_slots}, {when}",
                     "trajectories": len(out.lengths), "seconds": seconds,
                     "per_s": len(out.lengths) / seconds,
                     "mean_length": float(np.mean(out.lengths)), "scoring_steps": steps,
                     "reference_flops_per_s": reference, "share_of_reference": share})
  write_rows(_OUT.value, out_rows)


if __name__ == "__main__":
  app.run(main)
