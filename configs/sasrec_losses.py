"""SASRec with each loss on sequence rows (one row per user, every position a target, batch
256), on Beauty and Sports, seeds 0 and 1: the loss comparison of docs/results.md, beside the
strong baseline (CE on prefix rows: configs/sasrec_beauty.py, configs/sasrec_sports.py).

  python launch.py --config=configs/sasrec_losses.py --sweep=config   # 12 runs, ~2.5 h on 2 cores
  python launch.py --config=configs/sasrec_losses.py --config.train.loss=bce   # one run

Result (test Recall@10 / NDCG@10, mean of seeds 0 and 1): Beauty CE 0.0813 / 0.0497, sampled
softmax (256 negatives) 0.0716 / 0.0412, BCE 0.0553 / 0.0292; Sports CE 0.0443 / 0.0262,
sampled 0.0408 / 0.0231, BCE 0.0293 / 0.0149. Full CE is the best loss on both; on sequence
rows it stays below RecBole on Beauty (0.0897 / 0.0538), which prefix rows pass.
"""

from rsir_jax.config import apply_preset, get_base_config

PATIENCE = 10  # the measured runs' (the paper: 20)


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  c.train.loss = "ce"
  c.train.prefix_rows = False
  c.train.batch_size = 256
  c.train.patience = PATIENCE
  return apply_preset(c, preset)


def get_sweep():
  """Points of `--sweep=config`: dataset x loss x seed."""
  return [{"data.name": d, "train.loss": loss, "seed": s}
          for d in ("beauty", "sports") for loss in ("ce", "sampled", "bce") for s in (0, 1)]
