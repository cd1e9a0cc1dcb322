"""HSTU on Amazon Beauty (22,363 users, 12,101 items) in the setup of the SASRec baseline
(configs/sasrec_beauty.py: full softmax CE on prefix rows, rsir_jax.config.strong_baseline;
full ranking, history masked), sized like it (d=64, 2 layers, 2 heads, dropout and attention
dropout 0.5, the last 50 items), so the two backbones differ in the layer alone.

  python launch.py --config=configs/hstu_beauty.py            # one run, seed 0
  python launch.py --config=configs/hstu_beauty.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/hstu_beauty.py:smoke      # a short run, real data

Result: not measured yet.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  c.model.name = "hstu"
  c = strong_baseline(c)
  c.train.dropout_warmup_epochs = 0.0  # constant dropout: the warmup was tuned on SASRec
  return apply_preset(c, preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
