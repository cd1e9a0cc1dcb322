r"""RSIR exactly as the authors' released code runs it, on any dataset, one file for all of
them (rsir_jax.config.paper_rsir; a config argument `path:key=value,...` picks the dataset
and the preset): SASRec trained with sampled softmax over 256 negatives per position from
outside the row's input, tau 20, the authors' switches, the run ended after a round whose
data would pass 20x the real rows.

  python launch.py --config=configs/rsir_paper.py:dataset=sports --sweep=config  # Table 2
  python launch.py --config=configs/rsir_paper.py:dataset=toys,preset=nofid
  python launch.py --config=configs/rsir_paper.py:dataset=beauty,preset=smoke

  dataset   beauty (default) | sports | toys | yelp
  preset    '' (with the check) | nofid (the check off, m = 5) | nofid_real (... from the
            real rows only) | smoke (one round of a small model, 3 epochs)

configs/rsir_paper_beauty.py and configs/rsir_paper_sports.py are dataset=beauty and
dataset=sports, with the paper's numbers and ours in their docstrings (Table 2: being
measured, docs/results.md section 10).
"""

from rsir_jax.config import PAPER_PRESETS, get_base_config, paper_rsir, paper_sweep, parse_arg

PRESETS = PAPER_PRESETS + ("dataset=sports", "dataset=toys,preset=nofid")
SEEDS = (2023, 0, 1)


def _arg(arg: str):
  return parse_arg(arg, dataset="beauty", preset="")


def get_config(arg: str = ""):
  a = _arg(arg)
  c = get_base_config()
  c.data.name = a.dataset
  return paper_rsir(c, a.preset)


def get_sweep(arg: str = ""):
  """Points of `--sweep=config`: without a preset Table 2 for each of SEEDS; a preset its
  seeds."""
  return paper_sweep(SEEDS, _arg(arg).preset)
