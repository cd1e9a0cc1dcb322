"""Train and evaluate a model from a config file.

  python launch.py --config=configs/sasrec_beauty.py [--workdir=DIR] [--config.train.loss=bce]

Rerunning the same command (same workdir) resumes where it stopped.
"""

from absl import app, flags, logging
from ml_collections import config_flags

from rsir_jax import experiment, logs

_CONFIG = config_flags.DEFINE_config_file("config", None, "Config file (path[:preset]).")
_WORKDIR = flags.DEFINE_string("workdir", None, "Output folder (default: runs/<derived name>).")
flags.mark_flags_as_required(["config"])


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # libraries' INFO chatter (Orbax) stays quiet
  logs.show_progress()
  results = experiment.run(_CONFIG.value, _WORKDIR.value)
  print(experiment.summary(results))


if __name__ == "__main__":
  app.run(main)
