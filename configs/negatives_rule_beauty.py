r"""The authors' negatives against their cheap rule, on Beauty: SASRec trained as the authors'
code trains it (default_config.authors_protocol: sampled softmax with 256 negatives per
position from outside the row's input; rsir.rounds = 0, the baseline alone) with
train.negatives = row (each position its own draw, exact) and row_pool (each row's draw
from one pool for the batch, shared by the row's positions: the same distribution for every
position at about the cost of shared negatives), 3 seeds each.

  python launch.py --config=configs/negatives_rule_beauty.py --sweep=config  # 6 trainings
  python launch.py --config=configs/negatives_rule_beauty.py:smoke --config.train.negatives=row_pool

Result: not measured yet. Measured cost (benchmarks/bench_baseline.py --loss=sampled
--negatives=shared,row,row_pool --fixed_padding=False): row x2.0 and row_pool x1.0 the epoch
of shared negatives (row was x5.0 before the packed loop; docs/results.md).
"""

from rsir_jax.default_config import apply_preset, authors_protocol, get_base_config

PRESETS = ("", "smoke")
SEEDS = (2023, 0, 1)
RULES = ("row", "row_pool")


def get_config(preset: str = ""):
  """'' the full training; 'smoke' a small model for 3 epochs (a minute)."""
  c = get_base_config()
  c.data.name = "beauty"
  c = authors_protocol(c)
  c.rsir.rounds = 0
  if preset == "smoke":
    c = apply_preset(c, "smoke")
    c.train.loss, c.train.max_epochs = "sampled", 3
    c.train.negatives = "row"
  return c


def get_sweep():
  """Points of `--sweep=config`: negatives rule x seed."""
  return [{"train.negatives": rule, "seed": s} for rule in RULES for s in SEEDS]
