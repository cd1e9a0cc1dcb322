"""Train and evaluate a model from a config file, or a sweep of them.

  python launch.py --config=configs/sasrec_beauty.py [--workdir=DIR] [--config.train.loss=bce]
  python launch.py --config=configs/rsir_sasrec_beauty.py --sweep='rsir.tau=1,5,20,100'
  python launch.py --config=configs/rsir_sasrec_beauty.py --sweep=config   # its get_sweep()

Rerunning the same command (same workdir) resumes where it stopped.
"""

import os

from absl import app, flags, logging
from ml_collections import config_flags

from rsir_jax import experiment, logs, sweep

_CONFIG = config_flags.DEFINE_config_file("config", None, "Config file (path[:preset]).")
_WORKDIR = flags.DEFINE_string("workdir", None, "Output folder (default: runs/<derived name>).")
_SWEEP = flags.DEFINE_string(
    "sweep", "", "Run one experiment per point: 'field=v1,v2[;field=v1,v2]' (cartesian "
    "product), or 'config' for the points of the config file's get_sweep().")
flags.mark_flags_as_required(["config"])


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # libraries' INFO chatter (Orbax) stays quiet
  logs.show_progress()
  config = _CONFIG.value
  if not _SWEEP.value:
    print(experiment.summary(experiment.run(config, _WORKDIR.value)))
    return
  if _SWEEP.value == "config":
    path = config_flags.get_config_filename(flags.FLAGS["config"]).split(":")[0]
    points = sweep.points_from_config_file(path)
  else:
    points = sweep.parse_grid(_SWEEP.value, config)
  workdir = _WORKDIR.value or experiment.default_workdir(config) + "_sweep"
  sweep.run_sweep(config, points, workdir)
  with open(os.path.join(workdir, "sweep.md")) as f:
    print(f.read())


if __name__ == "__main__":
  app.run(main)
