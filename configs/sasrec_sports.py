"""SASRec on Sports_and_Outdoors (35,598 users, 18,357 items): the strong baseline, full
softmax CE on prefix rows (default_config.strong_baseline), full ranking, history masked.

  python launch.py --config=configs/sasrec_sports.py
  python launch.py --config=configs/sasrec_sports.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_sports.py:smoke

Result: not yet measured with this setup (about an hour a seed on a 2-core CPU). With
sequence rows (configs/sasrec_losses.py) it reaches test Recall@10 0.0443, NDCG@10 0.0262
(mean of seeds 0 and 1); the best published SASRec on this file (sampled softmax, eSASRec's
benchmark) reaches 0.0569 / 0.0314.
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
