"""SASRec on Yelp 2019 (30,431 users, 20,033 items), full ranking, history masked.

  python launch.py --config=configs/sasrec_yelp.py
  python launch.py --config=configs/sasrec_yelp.py:smoke

Expected: see README.md for the measured numbers.
"""

from rsir_jax.default_config import apply_preset, get_base_config


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "yelp"
  return apply_preset(c, preset)
