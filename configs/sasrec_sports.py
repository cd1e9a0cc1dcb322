"""SASRec on Sports_and_Outdoors (35,598 users, 18,357 items): the strong baseline, full
softmax CE on prefix rows trained fast (default_config.strong_baseline), full ranking,
history masked.

  python launch.py --config=configs/sasrec_sports.py
  python launch.py --config=configs/sasrec_sports.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_sports.py:smoke

Result (docs/results.md, end of section 11; `python -m benchmarks.bench_time_to_quality
--config=configs/sasrec_sports.py --test_threshold=0.0569,0.0314 --workdir=runs/sasrec_sports/
seed=0`): test Recall@10 / NDCG@10 0.0501 / 0.0300 for seed 0, best validation at epoch 25 of
35, an epoch 82-86 s of training alone on 2 cores (a slow day: 191 GFLOP/s of matmul). That
is under the best published SASRec on this file (sampled softmax, eSASRec's benchmark:
0.0569 / 0.0314) and above our sequence rows (configs/sasrec_losses.py: 0.0443 / 0.0262).
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
