"""SASRec on Sports_and_Outdoors (35,598 users, 18,357 items), full softmax CE on prefix rows
(default_config.strong_baseline), full ranking, history masked.

  python launch.py --config=configs/sasrec_sports.py
  python launch.py --config=configs/sasrec_sports.py:smoke

Expected (full run): not yet measured with this setup. With sequence rows
(--config.train.prefix_rows=False --config.train.batch_size=256) it reaches test Recall@10
0.0443, NDCG@10 0.0262 (mean of seeds 0 and 1, patience 10); on Beauty prefix rows add
about 15%, so expect roughly 0.05 / 0.03. README.md has the measured tables.
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)
