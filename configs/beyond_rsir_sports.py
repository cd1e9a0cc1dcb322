r"""Beyond the paper on Amazon Sports_and_Outdoors: configs/beyond_rsir_beauty.py's experiment
(the variants of rsir_jax.config.BEYOND_VARIANTS on the strong baseline: per-user caps chosen
by margin or disagreement, real-only sources, an acceptance-held or share-held tau, fine-tuning,
generating with the round ensemble, reseeded rounds, a weak generator, a small learner,
sequence rows; 3 RSIR rounds at tau 20, each also evaluated as an ensemble with the round
before; seeds 0, 1, 2) on Sports.

  python launch.py --config=configs/beyond_rsir_sports.py --sweep=config \\
      --workdir=runs/beyond_rsir_sports
  ... --sweep_only=seed=0                           # a part of the grid
  python launch.py --config=configs/beyond_rsir_sports.py:smoke --sweep=config --sweep_only=seed=0
  SKIP_BENCH=1 bash scripts/gpu_check.sh OUT 560 \\
      'configs/beyond_rsir_sports.py@seed=0;rsir.cap=1' \\
      'configs/beyond_rsir_sports.py@seed=1;rsir.cap=1' ...
      # on a GPU: parts side by side, each with the 'paper' point whose round 0 it shares

Presets: '' (42 runs of 3 rounds; Sports has 1.6 times Beauty's users, and a Beauty training
takes about 20 minutes on 2 cores: the sweep is meant for a GPU) and 'smoke' (a small model,
2 epochs, 2 rounds).

Result: not measured yet.
"""

from rsir_jax.config import beyond_rsir, beyond_rsir_sweep, get_base_config


def get_config(preset: str = ""):
  return beyond_rsir(get_base_config(), "sports", preset)


def get_sweep():
  """See rsir_jax.config.beyond_rsir_sweep."""
  return beyond_rsir_sweep()
