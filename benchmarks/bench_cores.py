"""Training throughput by how the cores are shared: one process on every core, one process
pinned to one core, one pinned process per core running at once (Linux, `taskset`), and one
process whose batches are split over one simulated CPU device per core
(`XLA_FLAGS=--xla_force_host_platform_device_count=N`, the data-parallel mesh of parallel.py).

  python -m benchmarks.bench_cores [--config=configs/rsir_paper_beauty.py] [--epochs=3]
      [--layouts=all|one,pinned,lanes,devices] [--set='train.negatives=shared']
      [--out=runs/bench/cores.json]

Each layout runs in fresh worker processes (`--worker`), which time `--epochs` epochs of the
config's training on its real rows after a warm-up epoch that compiles; all layouts run in this one
command, one after another, so their ratios are comparable on a noisy machine. Run it on an
idle machine: a background job on the same cores changes every figure. It says whether
queue lanes, one per core (scripts/table2_queue.sh --lane), finish more work than one
process on all cores, and whether one process on a mesh of one device per core finishes a
long round sooner than a lane does: `vs_one_process` is a layout's total rows/s over the
first layout's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time


def _worker(config_path: str, epochs: int, devices: int, overrides: str) -> dict:
  """Times `epochs` epochs (after a compiling warm-up epoch) of `config_path`'s training
  with `overrides` ('a.b=1;c.d=x'), on a mesh of `devices` devices when above 1."""
  from benchmarks.training_epochs import epoch_runner
  from rsir_jax import models, parallel
  from rsir_jax.data.load import load_split
  from rsir_jax.run import sweep
  spec = importlib.util.spec_from_file_location("bench_config", config_path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  if overrides:
    config = sweep.apply_overrides(config, {k: v[0] for k, v in
                                            sweep.parse_filter(overrides, config).items()})
  split, _ = load_split(config.data)
  model = models.build(config.model, split.num_items)
  mesh = parallel.make_mesh(devices) if devices > 1 else None
  one_epoch, state, buckets = epoch_runner(config, split, model,
                                           tuple(config.data.bucket_lengths), mesh=mesh)
  t0 = time.perf_counter()
  state = one_epoch(state, 0)
  warm_s = time.perf_counter() - t0
  t0 = time.perf_counter()
  for epoch in range(epochs):
    state = one_epoch(state, epoch + 1)
  epoch_s = (time.perf_counter() - t0) / epochs
  return {"first_epoch_s": warm_s, "epoch_s": epoch_s, "rows_per_s": buckets.num_rows / epoch_s}


def _run_layout(config_path: str, epochs: int, cpu_sets: list[str | None],
                devices: int = 1, overrides: str = "") -> list[dict]:
  """Starts one worker per entry of `cpu_sets` (None: unpinned) at once, each on `devices`
  simulated CPU devices; their figures."""
  procs = []
  env = dict(os.environ)
  if devices > 1:
    env["XLA_FLAGS"] = (f"{env.get('XLA_FLAGS', '')} "
                        f"--xla_force_host_platform_device_count={devices}").strip()
  for cpus in cpu_sets:
    cmd = [sys.executable, "-m", "benchmarks.bench_cores", "--worker", f"--config={config_path}",
           f"--epochs={epochs}", f"--devices={devices}", f"--set={overrides}"]
    procs.append(subprocess.Popen((["taskset", "-c", cpus] if cpus else []) + cmd,
                                  stdout=subprocess.PIPE, text=True, env=env))
  out = []
  for p in procs:
    stdout, _ = p.communicate()
    if p.returncode:
      raise SystemExit(f"a worker failed (exit {p.returncode})")
    out.append(json.loads(stdout.strip().splitlines()[-1]))
  return out


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--config", default="configs/rsir_paper_beauty.py")
  parser.add_argument("--epochs", type=int, default=3, help="timed epochs per worker")
  parser.add_argument("--layouts", default="all",
                      help="all, or some of one (one process, every core), pinned (one "
                           "process, one core), lanes (one pinned process per core), devices "
                           "(one process, one simulated device per core); the first is the "
                           "reference of vs_one_process")
  parser.add_argument("--set", default="",
                      help="config fields to override, 'train.negatives=shared;seed=0'")
  parser.add_argument("--out", default="", help="JSON file for the rows (empty: print only)")
  parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
  parser.add_argument("--devices", type=int, default=1, help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  if args.worker:
    print(json.dumps(_worker(args.config, args.epochs, args.devices, args.set)))
    return 0
  cores = os.cpu_count() or 1
  known = {"one": (f"one process, {cores} cores", [None], 1),
           "pinned": ("one process, 1 core", ["0"], 1),
           "lanes": (f"{cores} processes, 1 core each", [str(c) for c in range(cores)], 1),
           "devices": (f"one process, {cores} devices", [None], cores)}
  names = list(known) if args.layouts == "all" else args.layouts.split(",")
  unknown = [n for n in names if n not in known]
  if unknown:
    parser.error(f"--layouts: unknown {unknown}; choose from all or {', '.join(known)}")
  if cores == 1:  # one core: the per-core layouts are the pinned one
    names = [n for n in names if n not in ("lanes", "devices")] or ["pinned"]
  rows, totals = [], []
  for name, cpu_sets, devices in (known[n] for n in names):
    workers = _run_layout(args.config, args.epochs, cpu_sets, devices, args.set)
    total = sum(w["rows_per_s"] for w in workers)
    rows.append({"config": args.config, "set": args.set, "layout": name, "processes": len(workers),
                 "devices_per_process": devices,
                 "rows_per_s_each": round(total / len(workers)), "rows_per_s_total": round(total),
                 "epoch_s": max(w["epoch_s"] for w in workers),
                 "first_epoch_s": max(w["first_epoch_s"] for w in workers)})
    totals.append(total)
    rows[-1]["vs_one_process"] = total / totals[0]
    print(f"{name:28} {total:7.0f} rows/s in all ({rows[-1]['rows_per_s_each']} each), epoch "
          f"{rows[-1]['epoch_s']:.1f}s, first epoch {rows[-1]['first_epoch_s']:.1f}s | "
          f"x{rows[-1]['vs_one_process']:.2f} the first layout", flush=True)
  from rsir_jax.files.provenance import write_rows
  write_rows(args.out, rows)
  return 0


if __name__ == "__main__":
  sys.exit(main())
