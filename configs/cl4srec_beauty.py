"""CL4SRec on Amazon Beauty (22,363 users, 12,101 items) in the setup of the SASRec baseline
(configs/sasrec_beauty.py: full softmax CE on prefix rows, rsir_jax.config.strong_baseline;
full ranking, history masked): the same SASRec plus CL4SRec's contrastive loss (two views
per row from crop / mask / reorder at 0.6 / 0.3 / 0.6, InfoNCE over the batch at
temperature 1, weight 0.1; models/cl4srec.py).

  python launch.py --config=configs/cl4srec_beauty.py            # one run, seed 0
  python launch.py --config=configs/cl4srec_beauty.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/cl4srec_beauty.py:smoke      # a short run, real data

Result: not measured yet in this setup (each step encodes three times as many sequences as
SASRec's). RSIR with it in the paper's setup: configs/augment_baselines_beauty.py.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  c.model.name = "cl4srec"
  c = strong_baseline(c)
  return apply_preset(c, preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
