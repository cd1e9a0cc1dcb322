"""One experiment end to end: check the config and the data, resolve the setup, then train (a
baseline, or RSIR rounds when config.rsir.rounds > 0) in a locked workdir, and report.

`launch.py` is a thin shell around `run`; tests call it directly. Nothing is written to the
workdir until the config, the data and the sizes have passed their checks.
"""

from __future__ import annotations

import logging
import time

import ml_collections

from rsir_jax import parallel, storage
from rsir_jax.data.load import load_data
from rsir_jax.files import rounds as round_files
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.provenance import provenance
from rsir_jax.run import check as config_check
from rsir_jax.run import rounds, trainer
from rsir_jax.run import setup as setup_lib

log = logging.getLogger(__name__)


def summary(results: dict) -> str:
  """A readable end-of-run table (per round for an RSIR run)."""
  if "rounds" in results:
    return round_files.summary(results["rounds"])
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
  """Checks `config` and its data, trains and evaluates in `workdir` (resuming if it holds a
  run of the same config), writes config.json and results.json there (for RSIR runs with
  the per-round entries of rounds.json) and returns the results."""
  config_check.validate(config)
  for what, path in (("--workdir", workdir), ("data.path", config.data.path),
                     ("data.dir", config.data.dir)):
    if path:  # a mistyped bucket fails here, in seconds, not after the data and a compile
      storage.check_reachable(path, what)
  parallel.initialize(config.parallel)
  if not parallel.is_primary():  # one process reports; the others only log problems
    logging.getLogger("rsir_jax").setLevel(logging.WARNING)
  data = load_data(config.data)
  setup = setup_lib.resolve(config, data.split)
  workdir = workdir or workdir_lib.default_workdir(config)
  workdir_lib.check_same_run(workdir, config)
  t0 = time.perf_counter()
  with workdir_lib.locked(workdir, parallel.is_primary()):
    workdir_lib.check_same_run(workdir, config)  # again: another process may have started it
    setup.writer.json(storage.join(workdir, "config.json"), config.to_dict())
    log.info("workdir %s", storage.absolute(workdir))
    if config.rsir.rounds:
      results = {"rounds": rounds.run_rounds(setup, data, workdir)}
    else:
      results = dict(trainer.fit(setup, data.split.train, workdir).results)
    # The workdir as the command named it: a relative one keeps the result files (kept in
    # git) free of this machine's paths.
    results.update(data=data.info, workdir=workdir)
    results.setdefault("provenance", provenance())  # a finished baseline keeps its own
    setup.writer.json(storage.join(workdir, "results.json"), results)
  log.info("finished in %.0fs (this process)", time.perf_counter() - t0)
  return results
