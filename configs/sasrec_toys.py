"""SASRec on Toys_and_Games (19,412 users, 11,924 items), full ranking, history masked.

  python launch.py --config=configs/sasrec_toys.py
  python launch.py --config=configs/sasrec_toys.py:smoke

Expected: see README.md for the measured numbers.
"""

from rsir_jax.default_config import apply_preset, get_base_config


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "toys"
  return apply_preset(c, preset)
