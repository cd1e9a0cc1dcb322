"""RSIR against the data-augmentation baselines on every backbone, Amazon Sports_and_Outdoors:
configs/augment_baselines_beauty.py's experiment (the paper's training setup; per backbone and
seed, round 0 once, then one round of RSIR, of Reordering and of Insertion, the heuristics
matched to RSIR's new rows and, in separate points, to its new interactions; and RSIR with
its round 1 reseeded) on Sports.

  python launch.py --config=configs/augment_baselines_sports.py --sweep=config \\
      --workdir=runs/augment_baselines_sports
  ... --sweep_only='seed=0;model.name=sasrec'       # a part of the grid
  python launch.py --config=configs/augment_baselines_sports.py:smoke --sweep=config
  bash scripts/gpu_check.sh OUT 560 \\
      'configs/augment_baselines_sports.py@seed=0;model.name=sasrec;rsir.reseed_rounds=False' \\
      ...   # on a GPU: one part per backbone and seed, side by side (each owns its round 0)

Presets: '' (48 points, 56 trainings; Sports has 35,598 users against Beauty's 22,363, so
each training takes about 1.6 times Beauty's) and 'smoke' (a small model for 3 epochs,
seed 0 only).

Result: not measured yet.
"""

from rsir_jax.default_config import augment_baselines, augment_baselines_sweep, get_base_config


def get_config(preset: str = ""):
  return augment_baselines(get_base_config(), "sports", preset)


def get_sweep(preset: str = ""):
  """See default_config.augment_baselines_sweep; the smoke preset runs seed 0 only."""
  return augment_baselines_sweep((0,) if preset == "smoke" else (0, 1))
