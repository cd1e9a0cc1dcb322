"""SASRec on Amazon Beauty (22,363 users, 12,101 items), full ranking, history masked.

  python launch.py --config=configs/sasrec_beauty.py            # the full run
  python launch.py --config=configs/sasrec_beauty.py:smoke      # under a minute, real data

Expected (full run, loss ce, 2-core CPU): test Recall@10 ~0.09 / NDCG@10 ~0.05; the strong
baseline of DESIGN.md §4 is 0.0897 / 0.0538. See README.md for the measured numbers.
The smoke preset reaches test Recall@10 of about 0.05, above popularity (0.0077).
"""

from rsir_jax.default_config import apply_preset, get_base_config


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  return apply_preset(c, preset)
