"""SASRec on Amazon Beauty (22,363 users, 12,101 items): the strong baseline, full softmax CE
on prefix rows (default_config.strong_baseline), full ranking, history masked. The main job.

  python launch.py --config=configs/sasrec_beauty.py            # one run, seed 0
  python launch.py --config=configs/sasrec_beauty.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_beauty.py:smoke      # about a minute, real data

Result (2-core CPU, about 30 minutes a seed): test Recall@10 0.0939, NDCG@10 0.0577 for
seed 0 (best epoch 35), above RecBole's SASRec on this file (0.0897 / 0.0538); both seeds in
docs/results.md. The smoke preset (sampled softmax, sequence rows, 10 epochs, d=32) reaches
test Recall@10 0.057, NDCG@10 0.031; ranking by popularity gives 0.011 / 0.005.
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
