"""Fingerprints of tiny RSIR runs, one per variant of a round (every generator, the cap and
its selections, the tau schedules, ensembles, weak-to-strong, fine-tuning, real sources,
reseeded rounds, the authors' switches): the hash of what each run computes (rounds.json and
results.json without times, dates and commits; every round's synthetic rows and owners). A
refactor that must not change behaviour gives the same fingerprints before and after:

  python scripts/fingerprint_tiny_runs.py --out=before.json     # on the old commit
  python scripts/fingerprint_tiny_runs.py --out=after.json --compare=before.json

About 5 minutes on 2 CPU cores. Run from the repository root.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.getcwd())

from tests import tiny  # noqa: E402  (the tests' tiny config and data)

VARIANTS = {
    "rsir": {},
    "rsir_authors_switches": {"rsir.drop_failed": False, "rsir.dedup": "new",
                              "rsir.targets": "input", "rsir.start": "prefix"},
    "nofid_real": {"rsir.fidelity": False, "rsir.sources": "real"},
    # Matched to the rows (interactions) the "rsir" variant added, whose round 0 they share.
    "reorder_match_rows": {"rsir.generator": "reorder", "rsir.m": 1, "rsir.match_rows": True,
                           "rsir.round0_dir": "../rsir"},
    "insert_match_interactions": {"rsir.generator": "insert", "rsir.m": 1,
                                  "rsir.match_rows": True, "rsir.match_by": "interactions",
                                  "rsir.round0_dir": "../rsir"},
    "crop": {"rsir.generator": "crop", "rsir.m": 1},
    "cap_first": {"rsir.sources": "real", "rsir.cap": 1},
    "cap_margin": {"rsir.sources": "real", "rsir.cap": 1, "rsir.select": "margin"},
    "cap_disagreement": {"rsir.sources": "real", "rsir.cap": 1, "rsir.select": "disagreement"},
    "tau_list": {"rsir.tau_schedule": "10,5"},
    "tau_accept": {"rsir.tau_schedule": "accept:0.6"},
    "tau_share": {"rsir.tau_schedule": "share:0.3"},
    "ensemble_generates": {"eval.ensemble_rounds": 2, "rsir.generate_ensemble": True},
    "weak_to_strong": {"rsir.generator_dim": 8},
    "finetune": {"rsir.finetune": True},
    "reseeded": {"rsir.reseed_rounds": True},
    "growth_cap": {"rsir.fidelity": False, "rsir.max_rows_factor": 1.5},
}
_VOLATILE = ("time_s", "provenance", "wall_time_s", "final_eval_s", "seconds_per_epoch",
             "rows_per_s", "train_s", "eval_s", "elapsed_s", "unix_time", "date", "commit",
             "machine", "seconds")


def _stable(obj):
  """`obj` without the fields that record time, machine or commit."""
  if isinstance(obj, dict):
    return {k: _stable(v) for k, v in sorted(obj.items()) if k not in _VOLATILE}
  if isinstance(obj, list):
    return [_stable(v) for v in obj]
  return obj


def fingerprint(workdir: str) -> str:
  digest = hashlib.sha256()
  for root, dirs, files in sorted(os.walk(workdir)):
    dirs.sort()
    for name in sorted(files):
      path = os.path.join(root, name)
      rel = os.path.relpath(path, workdir)
      if "checkpoints" in rel or "generation" + os.sep in rel:
        continue
      if name in ("rounds.json", "results.json", "round.json"):
        with open(path) as f:
          digest.update(rel.encode() + json.dumps(_stable(json.load(f)), sort_keys=True).encode())
      elif name == "dataset.npz":
        with np.load(path) as f:
          for key in sorted(f.files):
            digest.update(rel.encode() + key.encode() + np.ascontiguousarray(f[key]).tobytes())
  return digest.hexdigest()


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--out", required=True)
  parser.add_argument("--compare", default="")
  parser.add_argument("--only", default="", help="comma-separated variant names")
  args = parser.parse_args()
  names = [n for n in VARIANTS if not args.only or n in args.only.split(",")]
  prints = {}
  with tempfile.TemporaryDirectory() as tmp:
    for name in names:
      config = tiny.tiny_config({"rsir.rounds": 2, **VARIANTS[name]})
      workdir = os.path.join(tmp, name)
      _run(config, workdir)
      prints[name] = fingerprint(workdir)
      print(f"{name:28s} {prints[name][:16]}", flush=True)
  with open(args.out, "w") as f:
    json.dump(prints, f, indent=1)
  if args.compare:
    with open(args.compare) as f:
      old = json.load(f)
    differ = [n for n in prints if old.get(n) != prints[n]]
    print("same as before" if not differ else f"DIFFERENT: {differ}")
    return 1 if differ else 0
  return 0


def _run(config, workdir):
  """The rounds of `config` on the tiny data in `workdir`."""
  try:  # after the path is set; the loop's module since the package has layers, or before
    from rsir_jax.run import rounds
  except ImportError:
    from rsir_jax import rounds
  data = tiny.tiny_data()
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, "config.json"), "w") as f:  # as a run's: a round 0 source
    json.dump(config.to_dict(), f)
  rounds.run_rounds(tiny.resolve(config, data), data, workdir)


if __name__ == "__main__":
  sys.exit(main())
