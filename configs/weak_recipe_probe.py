r"""Does a weaker training recipe explain why the paper's Beauty figures sit so far below ours
(docs/results.md, section 10)? Round 0 of the paper's Table 2 setup (SASRec trained as the
authors' code trains it: rsir_jax.config.authors_protocol, rsir.rounds = 0) with one switch,
train.loss = bce: binary cross-entropy with one uniformly drawn negative per position, the
default of DR4SR's SASRec code from which the authors' training derives, in place of their
sampled softmax with 256 negatives. Seed 2023 (the paper's), on Beauty and on Sports.

  python launch.py --config=configs/weak_recipe_probe.py --sweep=config   # 2 trainings
  python launch.py --config=configs/weak_recipe_probe.py --sweep=config \
      --sweep_only=data.name=beauty
  python launch.py --config=configs/weak_recipe_probe.py:smoke             # a minute

What it tests: if the paper's Beauty row came from such a recipe, Beauty's base here lands
near the paper's (its RSIR-1 is 0.0594 Recall@10, so its base is lower still), while Sports
falls below the paper's Sports base (0.0474 / 0.0271), which our sampled-softmax round 0
nearly reaches (0.0433 / 0.0254). Result (docs/results.md, section 10; test Recall@10 /
NDCG@10): Beauty 0.0561 / 0.0295 (best epoch 94, 23 min), Sports 0.0319 / 0.0176 (best epoch
76, 25 min), with the 2 cores shared with another run: the paper's Beauty level, and well
below its Sports one.
"""

from rsir_jax.config import apply_preset, authors_protocol, get_base_config

PRESETS = ("", "smoke")
DATASETS = ("beauty", "sports")


def get_config(preset: str = ""):
  """'' the full training (Beauty; the sweep adds Sports); 'smoke' a small model for 3
  epochs."""
  c = get_base_config()
  c.data.name = "beauty"
  c = authors_protocol(c)
  c.rsir.rounds = 0
  c.train.loss = "bce"
  if preset == "smoke":
    c = apply_preset(c, "smoke")
    c.train.loss, c.train.max_epochs = "bce", 3
  elif preset:
    raise ValueError(f"unknown preset {preset!r}: use one of {PRESETS}")
  return c


def get_sweep():
  """Points of `--sweep=config`: the two datasets of the paper's Table 2, seed 2023."""
  return [{"data.name": name} for name in DATASETS]
