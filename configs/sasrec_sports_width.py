"""SASRec on Sports_and_Outdoors, the strong baseline (configs/sasrec_sports.py) at widths 64,
128 and 256: does width close the gap to the best published SASRec on this file (eSASRec's
benchmark, 256-negative sampled softmax: test Recall@10 / NDCG@10 0.0569 / 0.0314), whose
vanilla config is 256 wide? A screening sweep, seed 0, meant for a GPU: at width 256 an epoch
is about five times the default's FLOPs (an estimate; the default's epoch takes 70-86 s on 2
CPU cores).

  python launch.py --config=configs/sasrec_sports_width.py --sweep=config
  bash scripts/gpu_check.sh OUT DEADLINE_S configs/sasrec_sports_width.py   # on a lent GPU
  python launch.py --config=configs/sasrec_sports_width.py:smoke

Result: not measured yet. Width 64 is the default's seed 0: 0.0501 / 0.0300 (docs/results.md,
section 11). A width that passes it there earns two more seeds before it is called better.
"""

from rsir_jax.default_config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: the widths, seed 0."""
  return [{"model.dim": d, "seed": 0} for d in (64, 128, 256)]
