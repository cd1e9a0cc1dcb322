"""SASRec on Amazon Beauty (22,363 users, 12,101 items): the strong baseline, full softmax CE
on prefix rows, trained fast (default_config.strong_baseline: 512 rows per batch, dropout
warmup, decay on plateau, rbg masks), full ranking, history masked. The main job.

  python launch.py --config=configs/sasrec_beauty.py            # one run, seed 0
  python launch.py --config=configs/sasrec_beauty.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_beauty.py:smoke      # about a minute, real data
  python launch.py --config=configs/sasrec_beauty.py:recbole    # RecBole's training (slower)

Result (2-core CPU, seed 0, docs/results.md section 11): past RecBole's SASRec on this file
(test Recall@10 / NDCG@10 0.0897 / 0.0538) 6 minutes after a cold start (epoch 13), and
0.0935 / 0.0574 at its end (best epoch 32 of 42, 19 minutes). RecBole's training (the
'recbole' preset): 10.6 minutes to that bar, 0.0939 / 0.0577 after 23 minutes. The smoke
preset (sampled softmax, sequence rows, 10 epochs, d=32) reaches test Recall@10 0.057,
NDCG@10 0.031; ranking by popularity gives 0.011 / 0.005.
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
