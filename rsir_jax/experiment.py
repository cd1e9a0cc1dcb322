"""One experiment end to end: check the config, load data, train (a baseline, or RSIR rounds
when config.rsir.rounds > 0), report.

`launch.py` is a thin shell around `run`; tests call it directly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time

import ml_collections

from rsir_jax import config_check, default_config, parallel, rounds, trainer
from rsir_jax.data.load import load_split

log = logging.getLogger(__name__)

# Fields that change how a run is executed but not what it computes: they may differ when a
# run is resumed.
_EXECUTION_ONLY = ("train.stop_after_steps", "train.log_every_steps", "train.checkpoint_every_steps",
                   "rsir.chunk_size", "rsir.slots")


def _comparable(config_dict: dict) -> dict:
  d = json.loads(json.dumps(config_dict))
  for field in _EXECUTION_ONLY:
    section, name = field.split(".")
    d.get(section, {}).pop(name, None)
  return d


def default_workdir(config: ml_collections.ConfigDict) -> str:
  """runs/<dataset>_<loss>_s<seed>_<hash of the config>: the same command always maps to the
  same folder (so rerunning it resumes), a changed setting to a new one."""
  digest = hashlib.sha1(json.dumps(_comparable(config.to_dict()), sort_keys=True).encode())
  dataset = config.data.name or os.path.basename(config.data.path).split(".")[0]
  return os.path.join("runs", f"{dataset}_{config.train.loss}_s{config.seed}_{digest.hexdigest()[:8]}")


def _flat(d: dict, prefix: str = "") -> dict:
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(_flat(v, f"{prefix}{k}."))
    else:
      out[f"{prefix}{k}"] = v
  return out


def check_same_run(workdir: str, config_dict: dict) -> None:
  """Refuses to resume a workdir that holds a run of a different config. A field the stored
  config lacks (added to the code after that run started) matches when it has its default
  value: the old run computed exactly that. The number of RSIR rounds may change (round k does
  not depend on how many follow it), so a finished run can be continued with more rounds."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return
  with open(path) as f:
    old = _flat(_comparable(json.load(f)))
  new = _flat(_comparable(config_dict))
  defaults = _flat(_comparable(default_config.get_base_config().to_dict()))
  if old.get("rsir.rounds", 0) > 0 and new.get("rsir.rounds", 0) > 0:
    old.pop("rsir.rounds")
    new.pop("rsir.rounds")
  diffs = [f"{k}: {old.get(k)!r} -> {v!r}" for k, v in sorted(new.items())
           if (old[k] != v if k in old else defaults.get(k, v) != v)]
  diffs += [f"{k}: {old[k]!r} -> (not in this version)" for k in sorted(old) if k not in new]
  if diffs:
    raise ValueError(f"{workdir} holds a run with a different config ({'; '.join(diffs)}); "
                     "use another --workdir")


def summary(results: dict) -> str:
  """A readable end-of-run table (per round for an RSIR run)."""
  if "rounds" in results:
    return rounds.summary(results["rounds"])
  lines = [f"dataset {results['dataset']} | loss {results['loss']} | seed {results['seed']} | "
           f"best epoch {results['best_epoch']} of {results['epochs_run']} | "
           f"{results['wall_time_s']:.0f}s training, {results['seconds_per_epoch']:.1f}s/epoch | "
           f"history masked: {results['mask_history']}"]
  ks = sorted({int(k.split("@")[1]) for k in results["test"]})
  header = "split  " + " ".join(f"{m}@{k:<3}" for m in ("R", "N") for k in ks)
  lines.append(header)
  for split in ("valid", "test"):
    r = results[split]
    lines.append(f"{split:6} " + " ".join(f"{r[f'{m}@{k}']:.4f}"
                                          for m in ("recall", "ndcg") for k in ks))
  return "\n".join(lines)


def run(config: ml_collections.ConfigDict, workdir: str | None = None) -> dict:
  """Validates `config`, trains and evaluates in `workdir` (resuming if it holds a run of the
  same config), writes config.json and results.json there (for RSIR runs: the per-round
  entries of rounds.json), and returns the results."""
  config_check.validate(config)
  parallel.initialize(config.parallel)
  if not parallel.is_primary():  # one process reports; the others only log problems
    logging.getLogger("rsir_jax").setLevel(logging.WARNING)
  config_check.check_devices(config)
  workdir = workdir or default_workdir(config)
  config_dict = config.to_dict()
  check_same_run(workdir, config_dict)
  t0 = time.perf_counter()
  split, data_info = load_split(config.data)  # before the workdir: bad data leaves no trace
  os.makedirs(workdir, exist_ok=True)
  trainer.write_json(os.path.join(workdir, "config.json"), config_dict)  # process 0 only
  log.info("workdir %s", os.path.abspath(workdir))
  if config.rsir.rounds:
    entries = rounds.run_rounds(config, split, workdir)
    log.info("finished in %.0fs (this process)\n%s", time.perf_counter() - t0,
             rounds.summary(entries))
    results = {"rounds": entries, "data": data_info, "workdir": os.path.abspath(workdir)}
    trainer.write_json(os.path.join(workdir, "results.json"), results)
    return results
  results = trainer.train_and_evaluate(config, split, workdir)
  results["data"] = data_info
  results["workdir"] = os.path.abspath(workdir)
  trainer.write_json(os.path.join(workdir, "results.json"), results)
  log.info("finished in %.0fs (this process)", time.perf_counter() - t0)
  return results
