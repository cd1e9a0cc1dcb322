"""SASRec on Sports_and_Outdoors, the strong baseline (configs/sasrec_sports.py) at widths 64,
128 and 256, each at our learning rate (2e-3) and at the bar's (1e-3): does width close the
gap to the best published SASRec on this file (eSASRec's benchmark, 256-negative sampled
softmax: test Recall@10 / NDCG@10 0.0569 / 0.0314), whose vanilla config is 256 wide and
trains at a constant 1e-3? A screening sweep, seed 0, meant for a GPU: at width 256 an epoch
is about five times the default's FLOPs (an estimate; the default's epoch takes 70-86 s on 2
CPU cores, width 128's about 140 s).

  python launch.py --config=configs/sasrec_sports_width.py --sweep=config
  python launch.py --config=configs/sasrec_sports_width.py --sweep=config \
      --sweep_only='model.dim=128;train.lr=0.001'          # one point
  bash scripts/gpu_check.sh OUT DEADLINE_S configs/sasrec_sports_width.py   # on a lent GPU
  python launch.py --config=configs/sasrec_sports_width.py:smoke

Result so far: width 64 at 2e-3 is the default's seed 0, 0.0501 / 0.0300 (docs/results.md,
section 11). Width 128 at 2e-3 was stopped after 14 of its epochs: it learned far slower
than width 64 (best validation NDCG@20 0.0291 at epoch 13, against 0.0437 for width 64 at
that epoch; its metrics.jsonl), so the wider points get the bar's rate too (Adam's steps
move a wider model's scores more). A point that passes the default's seed 0 earns two more
seeds before it is called better.
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: each width at our rate (the default's 2e-3: the points
  named without train.lr) and at the bar's 1e-3, seed 0."""
  return ([{"model.dim": d, "seed": 0} for d in (64, 128, 256)]
          + [{"model.dim": d, "train.lr": 1e-3, "seed": 0} for d in (64, 128, 256)])
