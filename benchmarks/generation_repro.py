"""Is a round's generation the same bit for bit on another machine, or on another number of
cores? Trains round 0 of a config in WORKDIR (or takes the round-0 model of another workdir,
`--from`), generates round 1's rows, stops the run there, and counts the generated items
that differ from rows files kept in git (`--against=COMMIT:PATH`, any number).

  python -m benchmarks.generation_repro --workdir=workdirs/repro/one_core --cpus=1 \\
      --against="da31f21:runs/rsir_paper_sports/rsir.fidelity=False,rsir.sources=real,seed=0/round_1/dataset.npz" \\
      --out=runs/bench/generation_repro_one_core.json
  python -m benchmarks.generation_repro --workdir=workdirs/repro/two_cores \\
      --from=workdirs/repro/one_core --against=... --out=runs/bench/generation_repro_two_cores.json

The run is `python launch.py --config=CONFIG --config.F=V ...` (`--set='F=V;...'`, default
the Sports nofid_real arm's seed 0, whose round 1 two committed arms generated from the same
round-0 model), pinned with `taskset -c` to the cores `--cpus` names (default: all of them),
without the XLA compilation cache (a program compiled elsewhere is not carried in). `--from`
copies that workdir without its round-1 rows, so that only the generation runs again. A row
of the output per reference: its items, how many of them differ, in how many rows, the
machine (CPU model and family, AVX-512 or not, the cores the run could use) and round 0's
test figures at full precision (to compare with the reference run's rounds.json)."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

from rsir_jax.files import provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SET = "seed=0;rsir.fidelity=False;rsir.sources=real"
ROWS_FILE = os.path.join("round_1", "dataset.npz")


def _launch_command(config: str, overrides: str, workdir: str, cpus: str) -> list[str]:
  flags = [f"--config.{part.strip()}" for part in overrides.split(";") if part.strip()]
  command = [sys.executable, os.path.join(ROOT, "launch.py"), f"--config={config}", *flags,
             f"--workdir={workdir}", "--compile_cache="]
  return (["taskset", "-c", cpus] if cpus else []) + command


def generate_round1(config: str, overrides: str, workdir: str, cpus: str) -> float:
  """Runs the config in `workdir` until its round-1 rows are written, then stops it (SIGTERM:
  the run would resume from there); returns the seconds it ran."""
  log_path = workdir.rstrip("/") + ".log"
  os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
  start = time.perf_counter()
  with open(log_path, "w") as log:
    process = subprocess.Popen(_launch_command(config, overrides, workdir, cpus), cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
      while not os.path.exists(os.path.join(workdir, ROWS_FILE)):  # written in one rename
        if process.poll() is not None:
          raise SystemExit(f"the run ended (exit {process.returncode}) before writing its "
                           f"round-1 rows; see {log_path}")
        time.sleep(2)
    finally:
      if process.poll() is None:
        process.terminate()
        process.wait()
  return time.perf_counter() - start


def _rows_file(spec: str) -> np.lib.npyio.NpzFile:
  """A rows file from git (`COMMIT:PATH`) or from disk (a path)."""
  commit, sep, path = spec.partition(":")
  if not sep:
    return np.load(spec)
  data = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True,
                        check=True).stdout
  return np.load(io.BytesIO(data))


def compare(ours_path: str, reference: str) -> dict:
  """Items and rows of our round-1 rows that differ from the reference's (same row count
  and lengths needed for an item-by-item count; else only the sizes are given)."""
  ours, theirs = np.load(ours_path), _rows_file(reference)
  row = {"reference": reference, "rows": len(ours["offsets"]) - 1, "items": len(ours["flat"]),
         "reference_rows": len(theirs["offsets"]) - 1}
  if not np.array_equal(ours["offsets"], theirs["offsets"]):
    return {**row, "items_differing": None, "rows_differing": None}
  differs = ours["flat"] != theirs["flat"]
  row_of_item = np.searchsorted(ours["offsets"], np.flatnonzero(differs), side="right") - 1
  return {**row, "items_differing": int(differs.sum()),
          "rows_differing": int(len(np.unique(row_of_item))),
          "owners_equal": bool(np.array_equal(ours["owners"], theirs["owners"]))}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--config", default="configs/rsir_paper_sports.py")
  parser.add_argument("--set", default=DEFAULT_SET, help="'field=value;...' overrides")
  parser.add_argument("--workdir", required=True)
  parser.add_argument("--from", dest="from_dir", default="",
                      help="a workdir whose round-0 model to take (copied, its round-1 rows "
                           "left out)")
  parser.add_argument("--cpus", default="", help="taskset -c list (default: every core)")
  parser.add_argument("--against", action="append", default=[], help="COMMIT:PATH or a path")
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  if os.path.exists(os.path.join(args.workdir, ROWS_FILE)):
    raise SystemExit(f"{args.workdir} holds round-1 rows already; give a new --workdir")
  if args.from_dir:
    shutil.copytree(args.from_dir, args.workdir, ignore=shutil.ignore_patterns("dataset.npz"))
  seconds = generate_round1(args.config, args.set, args.workdir, args.cpus)
  cores = (int(subprocess.run(["taskset", "-c", args.cpus, "nproc"], capture_output=True,
                              text=True, check=True).stdout) if args.cpus
           else len(os.sched_getaffinity(0)))
  with open(os.path.join(args.workdir, "round_0", "train", "results.json")) as f:
    round0 = json.load(f)["test"]  # full precision: is the training itself the same?
  machine = {**provenance.cpu_description(), "cores_used": cores,
             "round0_from": bool(args.from_dir), "seconds": round(seconds, 1),
             "round0_test_recall@10": round0["recall@10"],
             "round0_test_ndcg@10": round0["ndcg@10"]}
  rows = [{**machine, **compare(os.path.join(args.workdir, ROWS_FILE), ref)}
          for ref in args.against]
  for row in rows:
    print(row)
  provenance.write_rows(args.out, rows)


if __name__ == "__main__":
  main()
