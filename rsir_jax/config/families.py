"""The experiment families that several config files share: the paper's Table 2 as the
authors run it (configs/rsir_paper_*.py), RSIR against the augmentation baselines
(configs/augment_baselines_*.py) and the variants beyond the paper (configs/beyond_rsir_*.py):
each a config builder and its sweep's points."""

import ml_collections

from rsir_jax.config.presets import (
  apply_preset,
  authors_protocol,
  paper_setup,
  strong_baseline,
)
from rsir_jax.errors import ConfigError

# The threshold of configs/rsir_paper_*.py: with the authors' switches, tau 20 adds about as
# much data to a round as the paper's Sports runs did (docs/results.md, "Which switch makes
# the check lenient"); their one shipped threshold switches the check off.
PAPER_TAU = 20
# Without the check a round can multiply the rows; stop before D_k outgrows the machine.
PAPER_MAX_ROWS_FACTOR = 20.0
PAPER_PRESETS = ("", "nofid", "nofid_real", "smoke")
# The paper's Table 2 (SASRec, seed 2023; test Recall@10, NDCG@10 by round; None where it
# gives no figure), the reference that docs/results.md sets beside our runs: with the check
# and without it (generating from every row, as the paper's algorithm does).
PAPER_TABLE2 = {
    ("sports", "check"): ((0.0474, 0.0271), (0.0512, 0.0293), (0.0517, 0.0294),
                          (0.0528, 0.0298)),
    ("sports", "no_check"): ((0.0474, 0.0271), (0.0472, 0.0273), (0.0384, 0.0209),
                             (0.0210, 0.0119)),
    ("beauty", "check"): (None, (0.0594, None)),
}


def paper_table2(config: dict, k: int) -> tuple[float | None, float | None] | None:
  """The paper's round-k (Recall@10, NDCG@10) for the run whose flattened config is
  `config` (its dataset and whether the check is on), or None where the paper has none."""
  fidelity, sources = config.get("rsir.fidelity", True), config.get("rsir.sources", "all")
  arm = "check" if fidelity else ("no_check" if sources == "all" else None)
  rounds = PAPER_TABLE2.get((config.get("data.name"), arm), ())
  return rounds[k] if k < len(rounds) else None


def paper_rsir(c: ml_collections.ConfigDict, preset: str) -> ml_collections.ConfigDict:
  """RSIR as the authors' code runs it (authors_protocol) at tau = PAPER_TAU, under one of
  PAPER_PRESETS: '' (with the check), 'nofid' (the check off, m = 5: the authors' shipped
  setting), 'nofid_real' (the same, generating from the real rows only), 'smoke' (one round
  of a small model for 3 epochs: 2.6 min on Beauty and 3.8 on Sports with the 2 cores
  shared by another run)."""
  c = authors_protocol(c)
  c.rsir.tau, c.rsir.max_rows_factor = PAPER_TAU, PAPER_MAX_ROWS_FACTOR
  if preset in ("nofid", "nofid_real"):
    c.rsir.fidelity = False
    c.rsir.sources = "real" if preset == "nofid_real" else "all"
  elif preset == "smoke":
    c = apply_preset(c, "smoke")
    c.train.max_epochs, c.rsir.rounds, c.rsir.m = 3, 1, 1
  elif preset:
    raise ConfigError(f"unknown preset {preset!r}: use one of {PAPER_PRESETS}")
  return c


def paper_sweep(seeds, preset: str = "") -> list[dict]:
  """The sweep points of configs/rsir_paper_*.py: for preset '', Table 2 for each seed
  (round 0 trained once per seed and shared): with the check, without it (m = 5), and without
  it from the real rows only; for any other preset, its seeds."""
  if preset:
    return [{"seed": s} for s in seeds]
  variants = ({}, {"rsir.fidelity": False}, {"rsir.fidelity": False, "rsir.sources": "real"})
  return [dict(v, seed=s) for s in seeds for v in variants]


AUGMENT_BACKBONES = ("sasrec", "cl4srec", "gru4rec", "hstu")
AUGMENT_GENERATORS = ("reorder", "insert")
AUGMENT_MATCH_BY = ("rows", "interactions")


def augment_baselines(c: ml_collections.ConfigDict, dataset: str,
                      preset: str = "") -> ml_collections.ConfigDict:
  """The config of configs/augment_baselines_*.py: the paper's training setup on `dataset`,
  one RSIR round at tau 20, m 5, p 0.5 (the heuristic points set m = 1)."""
  c = paper_setup(c)
  c.data.name = dataset
  c.rsir.rounds, c.rsir.m, c.rsir.p, c.rsir.tau = 1, 5, 0.5, 20
  c = apply_preset(c, preset)
  if preset == "smoke":
    c.train.max_epochs, c.rsir.m = 3, 1
  return c


def augment_baselines_sweep(seeds) -> list[dict]:
  """The sweep points of configs/augment_baselines_*.py. Per seed and backbone: the RSIR
  point first (it trains the shared round 0, and the heuristics match its numbers of new
  rows), then each heuristic at one copy per row, cut to RSIR's rows, then to its
  interactions; last, RSIR again with its round 1 reseeded (rsir.reseed_rounds: the
  ensemble of base and round 1 with members as independent as two seeds')."""
  points = []
  for seed in seeds:
    for name in AUGMENT_BACKBONES:
      points.append({"seed": seed, "model.name": name, "rsir.generator": "rsir"})
      for match_by in AUGMENT_MATCH_BY:
        for generator in AUGMENT_GENERATORS:
          point = {"seed": seed, "model.name": name, "rsir.generator": generator,
                   "rsir.m": 1, "rsir.match_rows": True}
          if match_by != "rows":  # the rows points keep the names their folders have
            point["rsir.match_by"] = match_by
          points.append(point)
      points.append({"seed": seed, "model.name": name, "rsir.generator": "rsir",
                     "rsir.reseed_rounds": True})
  return points


# configs/beyond_rsir_*.py: the variants run on the strong baseline, each a set of overrides
# (every one an RSIR run whose round 0 is its baseline; those that keep the baseline's
# training share one round 0 per seed).
BEYOND_VARIANTS = {
    "paper": {},                                                  # keep every row, D_k sources
    "real": {"rsir.sources": "real"},                             # real users' rows only
    "cap1_first": {"rsir.sources": "real", "rsir.cap": 1},
    "cap1_random": {"rsir.sources": "real", "rsir.cap": 1, "rsir.select": "random"},
    "cap1_margin": {"rsir.sources": "real", "rsir.cap": 1, "rsir.select": "margin"},
    "cap1_disagreement": {"rsir.sources": "real", "rsir.cap": 1,
                          "rsir.select": "disagreement"},
    "accept": {"rsir.sources": "real", "rsir.tau_schedule": "accept:0.6"},
    "share": {"rsir.sources": "real", "rsir.tau_schedule": "share:0.3"},
    "finetune": {"rsir.sources": "real", "rsir.finetune": True},
    "ensemble_generates": {"rsir.sources": "real", "rsir.generate_ensemble": True},
    "reseeded": {"rsir.sources": "real", "rsir.reseed_rounds": True},  # independent members
    "weak_to_strong": {"rsir.sources": "real", "rsir.generator_dim": 32},
    "small_learner": {"rsir.sources": "real", "model.dim": 32},   # its round 0: a d = 32 base
    "sequence_rows": {"rsir.sources": "real", "train.prefix_rows": False},  # the 2 x 2
}
BEYOND_SEEDS = (0, 1, 2)


def beyond_rsir(c: ml_collections.ConfigDict, dataset: str,
                preset: str = "") -> ml_collections.ConfigDict:
  """The config of configs/beyond_rsir_*.py: the strong baseline on `dataset`, 3 RSIR rounds
  at tau 20, m 5, p 0.5, each round also evaluated as an ensemble with the one before."""
  c = strong_baseline(c)
  c.data.name = dataset
  c.rsir.rounds, c.rsir.m, c.rsir.p, c.rsir.tau = 3, 5, 0.5, 20
  c.eval.ensemble_rounds = 2
  c = apply_preset(c, preset)
  if preset == "smoke":  # m = 2: a cap of 1 row per user still has rows to choose from
    c.rsir.rounds, c.rsir.m, c.train.max_epochs = 2, 2, 2
  return c


def beyond_rsir_sweep(seeds=BEYOND_SEEDS, variants=tuple(BEYOND_VARIANTS)) -> list[dict]:
  """The sweep points of configs/beyond_rsir_*.py: per seed, each variant's overrides (the
  'paper' point first: it trains the round 0 the others share)."""
  return [{"seed": s, **BEYOND_VARIANTS[v]} for s in seeds for v in variants]
