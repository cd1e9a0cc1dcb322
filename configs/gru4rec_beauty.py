"""GRU4Rec on Amazon Beauty (22,363 users, 12,101 items) in the setup of the SASRec baseline
(configs/sasrec_beauty.py: full softmax CE on prefix rows, rsir_jax.config.strong_baseline;
full ranking, history masked), with the default model size (d=64, 2 layers, dropout 0.5, the
last 50 items), so the two backbones differ in the backbone alone.

  python launch.py --config=configs/gru4rec_beauty.py            # one run, seed 0
  python launch.py --config=configs/gru4rec_beauty.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/gru4rec_beauty.py:smoke      # a short run, real data

Result: not measured yet.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  c.model.name = "gru4rec"
  c = strong_baseline(c)
  c.train.dropout_warmup_epochs = 0.0  # constant dropout: the warmup was tuned on SASRec
  return apply_preset(c, preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
