"""Ensembles of any finished trainings, evaluated like a round's ensemble (eval.ensemble_rounds:
ranking by the members' mean log-probability, models.Ensemble), beside each member alone.

It gives eval.ensemble_rounds its control: an RSIR round averaged with its predecessor gains
from ensembling as such, and an ensemble of two baselines of different seeds measures how
much; only what the successor adds beyond that is RSIR's.

  python -m rsir_jax.tools.ensemble_eval \\
      --ensemble="two seeds:RUN_S0/round_0/train:RUN_S1/round_0/train" \\
      --ensemble="base + round 1:RUN_S0/round_0/train:RUN_S0/round_1/train" \\
      --out=runs/ensembles/beauty.json

(colons separate the name and the folders: sweep folders have commas and '=' in their names)

A member is a training folder: a baseline run's workdir, or an RSIR run's round_k/train; its
config is the config.json of its run (that folder, or the RSIR run two levels up). The
members of an ensemble must share the data and the model sections of their configs; the
evaluation settings are the first member's. One row per ensemble goes to --out, in the layout
of the benchmarks' files (a kind=bench table of rsir_jax.tools.report).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from typing import Sequence

from rsir_jax import logs, models, storage
from rsir_jax.data.load import load_split
from rsir_jax.errors import UserError, fail
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.provenance import write_rows
from rsir_jax.run import setup as setup_lib
from rsir_jax.run import trainer

METRICS = ("recall@10", "ndcg@10")


class EnsembleError(UserError):
  """An ensemble's members cannot be combined (different data or architecture)."""


def run_dir(train_dir: str) -> str:
  """The run a training folder belongs to: the folder itself (a baseline run) or, for an RSIR
  round's round_k/train, the run two levels up."""
  up = os.path.dirname(os.path.dirname(storage.normpath(train_dir)))
  if os.path.basename(storage.normpath(train_dir)) == "train" and storage.exists(
      storage.join(up, "config.json")):
    return up
  return train_dir


def parse_ensemble(spec: str) -> tuple[str, list[str]]:
  """'name:folder:folder[:...]' -> (name, folders)."""
  name, *members = spec.split(":")
  members = [f for f in members if f]
  if not name or len(members) < 2:
    raise EnsembleError(f"--ensemble={spec!r}: give a name and at least two training folders, "
                        "separated by colons (name:folder:folder)")
  return name, members


def _key(value) -> str:
  """A config (or part of one) as a hashable, order-independent string."""
  return json.dumps(value, sort_keys=True, default=str)


def _architecture(config) -> str:
  """The config sections members of one ensemble must share: data and model."""
  return _key([config.data.to_dict(), config.model.to_dict()])


def evaluate_ensembles(ensembles: Sequence[tuple[str, list[str]]]) -> list[dict]:
  """One row per (name, training folders): the valid and test metrics of the ensemble, of each
  member alone (their mean and best), and the ensemble's gain over its best member. A folder
  that appears in several ensembles is restored and evaluated once."""
  configs = {f: workdir_lib.read_config(run_dir(f)) for _, folders in ensembles for f in folders}
  for name, folders in ensembles:  # checked before anything is restored
    if len({_architecture(configs[f]) for f in folders}) > 1:
      raise EnsembleError(f"ensemble {name!r}: its members differ in their data or model "
                          "config sections; an ensemble averages models of one backbone on "
                          "one dataset")
  splits, setups, params, alone = {}, {}, {}, {}  # by data section, by config, by folder
  for folder, config in configs.items():
    data = _key(config.data.to_dict())
    if data not in splits:
      splits[data] = load_split(config.data)[0]
    key = _key(config.to_dict())
    if key not in setups:  # each config its own setup: restoring needs its optimizer's layout
      setups[key] = setup_lib.resolve(config, splits[data])
    params[folder] = setups[key], trainer.restore_best(setups[key], folder).params
    alone[folder] = {split: trainer.evaluate(setups[key], params[folder][1], split)
                     for split in ("valid", "test")}
  rows = []
  for name, folders in ensembles:
    setup = params[folders[0]][0]
    members = tuple(params[f][1] for f in folders)
    ensemble = models.Ensemble(setup.model, len(members))
    row = {"ensemble": name, "members": len(members)}
    for split in ("valid", "test"):
      metrics = trainer.evaluate(setup, members, split, model=ensemble)
      for m in METRICS:
        singles = [alone[f][split][m] for f in folders]
        row[f"{split}_{m}"] = metrics[m]
        row[f"{split}_{m}_members_mean"] = statistics.mean(singles)
        row[f"{split}_{m}_members_best"] = max(singles)
        row[f"{split}_{m}_gain_over_best"] = metrics[m] / max(singles) - 1
    row["folders"] = " : ".join(folders)
    print(f"{name}: test " + " ".join(
        f"{m} {row[f'test_{m}']:.4f} (members {row[f'test_{m}_members_mean']:.4f} mean, "
        f"{row[f'test_{m}_members_best']:.4f} best)" for m in METRICS))
    rows.append(row)
  return rows


def main(argv: Sequence[str] | None = None) -> int:
  """The command line (see the module docstring)."""
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--ensemble", action="append", required=True,
                      help="name:folder:folder[:...]: a name and the training folders of one "
                      "ensemble (repeat the flag for several)")
  parser.add_argument("--out", default="", help="JSON file for the rows (empty: print only)")
  args = parser.parse_args(argv)
  logs.show_progress()
  try:
    rows = evaluate_ensembles([parse_ensemble(s) for s in args.ensemble])
  except UserError as e:  # a folder without a run or a finished training, mixed members
    fail(str(e))
  write_rows(args.out, rows)
  return 0


if __name__ == "__main__":
  sys.exit(main())
