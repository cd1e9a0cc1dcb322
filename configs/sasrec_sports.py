"""SASRec on Sports_and_Outdoors (35,598 users, 18,357 items), full ranking, history masked.

  python launch.py --config=configs/sasrec_sports.py
  python launch.py --config=configs/sasrec_sports.py:smoke

Expected: see README.md for the measured numbers.
"""

from rsir_jax.default_config import apply_preset, get_base_config


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(c, preset)
