r"""The authors' negatives against their cheap rules, on Beauty: SASRec trained as the authors'
code trains it (rsir_jax.config.authors_protocol: sampled softmax with 256 negatives per
position from outside the row's input; rsir.rounds = 0, the baseline alone) with
train.negatives = row (each position its own draw, exact), row_pool (each row's draw from
one pool of 268 items for the batch, shared by the row's positions) and row_from_pool (each
position its own draw, from a pool of train.negatives_pool = 2048 items for the batch: each
negative alone distributed as under row), 3 seeds each.

  python launch.py --config=configs/negatives_rule_beauty.py --sweep=config  # 9 trainings
  python launch.py --config=configs/negatives_rule_beauty.py --sweep=config \
      --sweep_only='train.negatives=row_from_pool'                             # one rule
  python launch.py --config=configs/negatives_rule_beauty.py:smoke --config.train.negatives=row_pool

Result (docs/results.md, section 15; test Recall@10 / NDCG@10, mean +- sd over seeds 2023, 0,
1): row 0.0756 +- 0.0011 / 0.0451 +- 0.0009; row_from_pool 0.0756 +- 0.0009 / 0.0445 +- 0.0010
(within the seed spread, paired by seed -0.0006, -0.0003, +0.0008 on recall); row_pool falls
below it (0.0726 +- 0.0026 / 0.0418 +- 0.0016; paired by seed -0.0018, -0.0073, -0.0001 on
recall at seeds 2023, 0, 1: a pool of 268 items for the whole batch pushes down nearly the
same items on every row). row_from_pool with a pool of 1,024 (x1.40
the shared epoch, interleaved): 0.0771 +- 0.0004 / 0.0455 +- 0.0001, from
  python launch.py --config=configs/negatives_rule_beauty.py \
      --workdir=runs/negatives_rule_pool1024 \
      --sweep='train.negatives=row_from_pool;train.negatives_pool=1024;seed=2023,0,1' Measured cost
(benchmarks/bench_baseline.py --loss=sampled --negatives=shared,row,row_pool,row_from_pool
--fixed_padding=False): row x1.8-2.4, row_pool x1.0-1.5, row_from_pool x1.2-2.25 the epoch of
shared negatives over runs on this noisy CPU (row was x5.0 before the packed loop).
"""

from rsir_jax.config import apply_preset, authors_protocol, get_base_config

PRESETS = ("", "smoke")
SEEDS = (2023, 0, 1)
RULES = ("row", "row_pool", "row_from_pool")


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
