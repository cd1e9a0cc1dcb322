r"""RSIR with SASRec on Amazon Beauty on the strong baseline (full softmax CE on prefix rows,
rsir_jax.config.strong_baseline, which beats RecBole): 3 rounds, m = 5, p = 0.5, tau 5 and 20,
seeds 0 and 1. Does self-improvement add anything to a well-trained model?

  python launch.py --config=configs/rsir_strong_beauty.py --sweep=config   # 4 runs
  python launch.py --config=configs/rsir_strong_beauty.py --config.rsir.tau=20   # one run
  python launch.py --config=configs/rsir_strong_beauty.py:smoke

Each round trains for 20 to 60 minutes on a 2-core CPU (round 0: about 30), 20 to 70 s on one
H200 GPU; the sweep is meant for a GPU.

Result (test Recall@10 / NDCG@10, mean of seeds 0 and 1, measured on one H200 at commit
ef7d843 with the same code path): tau 5 0.0923 / 0.0565 -> 0.0927 / 0.0562 -> 0.0932 / 0.0561
-> 0.0932 / 0.0561 (rounds 0 to 3): no cumulative gain; tau 20 gains 2.3% Recall@10 in round 1,
then falls below the baseline. Not yet regenerated into docs/results.md from this version.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = strong_baseline(get_base_config())
  c.data.name = "beauty"
  c.rsir.rounds, c.rsir.m, c.rsir.p, c.rsir.tau = 3, 5, 0.5, 5
  c = apply_preset(c, preset)
  if preset == "smoke":
    c.rsir.rounds, c.rsir.m = 1, 1
  return c


def get_sweep():
  """Points of `--sweep=config`: tau 5 and 20, seeds 0 and 1."""
  return [{"rsir.tau": tau, "seed": s} for tau in (5, 20) for s in (0, 1)]
