"""Train and evaluate a model from a config file, or a sweep of them.

  python launch.py --config=configs/sasrec_beauty.py [--workdir=DIR] [--config.train.loss=bce]
  python launch.py --config=configs/rsir_sasrec_beauty.py --sweep='rsir.tau=1,5,20,100'
  python launch.py --config=configs/rsir_sasrec_beauty.py --sweep=config   # its get_sweep()
  python launch.py --config=configs/augment_baselines_beauty.py --sweep=config --sweep_only=seed=1
  python launch.py --config=configs/augment_baselines_beauty.py --sweep=config --sweep_point=seed=1

Rerunning the same command (same workdir) resumes where it stopped.
"""

import sys

from absl import app, flags, logging
from ml_collections import config_flags

from rsir_jax.tools import cli

_CONFIG = config_flags.DEFINE_config_file("config", None, "Config file (path[:preset]).")
_WORKDIR = flags.DEFINE_string("workdir", None, "Output folder (default: runs/<derived name>).")
_SWEEP = flags.DEFINE_string(
    "sweep", "", "Run one experiment per point: 'field=v1,v2[;field=v1,v2]' (cartesian "
    "product), or 'config' for the points of the config file's get_sweep().")
_SWEEP_ONLY = flags.DEFINE_string(
    "sweep_only", "", "Of the sweep's points, run only those whose config has one of the "
    "given values in each field: 'field=v1,v2[;field=v]', with the points whose round 0 they "
    "share (finished points stay in the summary).")
_SWEEP_POINT = flags.DEFINE_string(
    "sweep_point", "", "Of the sweep's points, run only the one with this folder name (e.g. "
    "'rsir.tau=5,seed=0'), under its own lock: beside a sweep part running the folder's "
    "other points. The sweep's summary lists it from the sweep's next run.")
_COMPILE_CACHE = flags.DEFINE_string(
    "compile_cache", cli.DEFAULT_COMPILE_CACHE, "Folder for XLA's persistent compilation cache: "
    "a rerun skips compiling the shapes it has seen ('' = off).")
flags.mark_flags_as_required(["config"])


def parse_flags(argv):
  try:
    return flags.FLAGS(argv)
  except Exception as e:  # a bad config file, preset or override: one line, no traceback
    cli.fail(cli.flag_error(e))


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # libraries' INFO chatter (Orbax) stays quiet
  config_arg = config_flags.get_config_filename(flags.FLAGS["config"])  # path[:preset]
  try:
    config = _CONFIG.value
    config.to_dict()  # a config file that failed to load raises on first use
  except OSError as e:
    cli.fail(cli.flag_error(e))
  sys.exit(cli.main(config, config_arg, _WORKDIR.value, _SWEEP.value, _COMPILE_CACHE.value,
                    _SWEEP_ONLY.value, _SWEEP_POINT.value))


if __name__ == "__main__":
  app.run(main, flags_parser=parse_flags)
