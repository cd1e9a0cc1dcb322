r"""Beyond the paper on Amazon Beauty: which variant, if any, makes self-improvement pay on the
strong baseline (full softmax CE on prefix rows, rsir_jax.config.strong_baseline)? Every point
runs 3 RSIR rounds at tau 20, m 5, p 0.5 and also evaluates each round as an ensemble with
the round before it (eval.ensemble_rounds = 2: the mean log-probability of the two models).
The variants (rsir_jax.config.BEYOND_VARIANTS), for seeds 0, 1 and 2:

  paper              every new row kept, sources = every row of D_k (the paper)
  real               sources = the real rows only
  cap1_<select>      real sources, at most 1 new row per real user and round, chosen
                     first | random | margin (fidelity margin) | disagreement (MC dropout)
  accept             real sources, tau per round: the smallest whose first-check acceptance
                     on the real rows is 60% (rsir.tau_schedule='accept:0.6')
  share              real sources, tau steered to hold the synthetic share near 30%
                     (rsir.tau_schedule='share:0.3')
  finetune           real sources, each round starts from the previous round's weights
  ensemble_generates real sources, rounds 1 and 2 generate with the ensemble of their model
                     and the one before (rsir.generate_ensemble)
  reseeded           real sources, each round trained from its own initialisation
                     (rsir.reseed_rounds), so the round ensembles' members are as
                     independent as two seeds'
  weak_to_strong     real sources, a d = 32 generator trained on D_k teaches the d = 64 learner
  small_learner      real sources, a d = 32 learner (its round 0: a d = 32 baseline)
  sequence_rows      real sources, one row per sequence instead of per prefix (with 'real',
                     the 2 x 2 of rows x RSIR: its round 0 is the sequence-rows baseline)

The baseline is each seed's round 0 of the 'paper' point (shared by every variant with the
baseline's training). The control for the round ensembles is an ensemble of two seeds'
baselines, which costs the same two trainings (docs/results.md, section 13):

  python -m rsir_jax.tools.ensemble_eval --out=runs/ensembles/beyond_rsir_beauty.json \
      --ensemble="seeds 0 + 1:runs/beyond_rsir_beauty/seed=0/round_0/train:runs/beyond_rsir_beauty/seed=1/round_0/train"

  python launch.py --config=configs/beyond_rsir_beauty.py --sweep=config \\
      --workdir=runs/beyond_rsir_beauty
  ... --sweep_only=seed=0                           # a part of the grid
  python launch.py --config=configs/beyond_rsir_beauty.py:smoke --sweep=config --sweep_only=seed=0
  SKIP_BENCH=1 bash scripts/gpu_check.sh OUT 560 \\
      'configs/beyond_rsir_beauty.py@seed=0;rsir.cap=1' \\
      'configs/beyond_rsir_beauty.py@seed=1;rsir.cap=1' ...
      # on a GPU: parts side by side, each with the 'paper' point whose round 0 it shares

Presets: '' (42 runs of 3 rounds, 3 round 0s per seed; a strong-baseline training takes
about 20 minutes on 2 cores: the sweep is meant for a GPU) and 'smoke' (a small
model, 2 epochs, 2 rounds).

Result so far: one point of 42 (docs/results.md, section 14). sequence_rows, seed 0: base
0.0841 / 0.0518 (test Recall@10 / NDCG@10; the prefix-rows baseline's seed 0: 0.0940 /
0.0571); rounds 1 to 3 at -0.7% / -3.9%, -5.3% / -7.4%, -1.3% / -6.3%, the synthetic share
at 33, 50, 60%. About 85 minutes of compute on 2 cores, round 0 included.
"""

from rsir_jax.config import beyond_rsir, beyond_rsir_sweep, get_base_config


def get_config(preset: str = ""):
  return beyond_rsir(get_base_config(), "beauty", preset)


def get_sweep():
  """See rsir_jax.config.beyond_rsir_sweep."""
  return beyond_rsir_sweep()
