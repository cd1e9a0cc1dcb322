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

Result (run on one H200 as 8 parts, merged with python -m rsir_jax.tools.merge_sweeps; seeds 0
and 1, mean test Recall@10 / NDCG@10, docs/results.md section 12c). Base: SASRec 0.0407 /
0.0231, CL4SRec 0.0434 / 0.0241, GRU4Rec 0.0273 / 0.0143, HSTU 0.0427 / 0.0237. One round
of RSIR: +1.7% / +0.8%, +2.5% / +2.7%, -4.3% / +0.7%, +1.7% / -1.4%. At RSIR's
interactions the heuristics are level with it on SASRec and GRU4Rec, Reordering behind it
on HSTU (-4.2% / -5.4%); at its rows (about twice its interactions) Insertion leads on
CL4SRec (+4.6% / +6.4%) and GRU4Rec. No change is beyond the seed spread. Not run yet:
CL4SRec's interaction-matched points (one of four finished) and the reseeded points.
"""

from rsir_jax.config import augment_baselines, augment_baselines_sweep, get_base_config


def get_config(preset: str = ""):
  return augment_baselines(get_base_config(), "sports", preset)


def get_sweep(preset: str = ""):
  """See rsir_jax.config.augment_baselines_sweep; the smoke preset runs seed 0 only."""
  return augment_baselines_sweep((0,) if preset == "smoke" else (0, 1))
