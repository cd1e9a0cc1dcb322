"""SASRec on Sports_and_Outdoors (35,598 users, 18,357 items): the strong baseline, full
softmax CE on prefix rows trained fast (rsir_jax.config.strong_baseline), full ranking,
history masked.

  python launch.py --config=configs/sasrec_sports.py
  python launch.py --config=configs/sasrec_sports.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_sports.py:smoke

Result (docs/results.md, end of section 11; `python -m benchmarks.bench_time_to_quality
--config=configs/sasrec_sports.py --config.seed=$S --test_threshold=0.0569,0.0314
--workdir=runs/sasrec_sports/seed=$S`, seeds 0 and 1): test Recall@10 / NDCG@10
0.0510 +- 0.0013 / 0.0305 +- 0.0008, best validation at epochs 25 and 15, an epoch 70-86 s of
training alone on 2 cores (slow days: 162-191 GFLOP/s of matmul). That is under the best
published SASRec on this file (sampled softmax, eSASRec's benchmark: 0.0569 / 0.0314) and
above our sequence rows (configs/sasrec_losses.py: 0.0443 / 0.0262). The bar's own shape
(1 block, 1 head, dropout 0.2) does worse here, with full CE (0.0460 / 0.0272, seed 0) and with
its 256-negative sampled softmax (0.0421 / 0.0240): end of section 11.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
