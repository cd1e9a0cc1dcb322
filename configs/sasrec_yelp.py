"""SASRec on Yelp 2019 (30,431 users, 20,033 items), full softmax CE on prefix rows
(rsir_jax.config.strong_baseline), full ranking, history masked.

  python launch.py --config=configs/sasrec_yelp.py
  python launch.py --config=configs/sasrec_yelp.py:smoke

Expected (full run): not yet measured on this file. On Beauty this setup reaches test
Recall@10 0.094, NDCG@10 0.057 (docs/results.md).
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "yelp"
  return apply_preset(strong_baseline(c), preset)
