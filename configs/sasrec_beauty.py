"""SASRec on Amazon Beauty (22,363 users, 12,101 items): the strong baseline, full softmax CE
on prefix rows, trained fast (rsir_jax.config.strong_baseline: 512 rows per batch, dropout
warmup, decay on plateau, rbg masks), full ranking, history masked. The main job.

  python launch.py --config=configs/sasrec_beauty.py            # one run, seed 0
  python launch.py --config=configs/sasrec_beauty.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_beauty.py:smoke      # about a minute, real data
  python launch.py --config=configs/sasrec_beauty.py:recbole    # RecBole's training (slower)
  python launch.py --config=configs/sasrec_beauty.py:screen     # stopped after 15 epochs

Result (2-core CPU, docs/results.md section 11): past RecBole's SASRec on this file (test
Recall@10 / NDCG@10 0.0897 / 0.0538) at epoch 10 (seed 0; 4.8 minutes from a cold start in a
12-epoch run) or 11 (seed 1); at the end, 0.0940 / 0.0571 and 0.0913 / 0.0561 (seeds 0 and
1, best epochs 23 and 21, mean 0.0927 / 0.0566; 29 minutes each on a day the machine ran at
half its usual matmul rate). RecBole's training (the 'recbole' preset): epoch 20, 10.6
minutes to that bar, 0.0939 / 0.0577 after 23 minutes (seed 0). The smoke preset (sampled
softmax, sequence rows, 10 epochs, d=32) reaches test Recall@10 0.057,
NDCG@10 0.031; ranking by popularity gives 0.011 / 0.005. On one H200 (the 'screen' preset,
docs/results.md section 11): an epoch in 0.7 s, that bar 120 s after a cold start and 22 s
with a warm compilation cache; with --config.data.bucket_lengths='()' (one shape to compile,
the full length 50, free on a GPU) 41 s and 17 s.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
