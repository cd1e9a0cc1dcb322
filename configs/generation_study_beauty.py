r"""Generation only (no successor is trained): which of the authors' choices makes their
fidelity check lenient? One round of generation on Beauty from a finished round-0 model,
under today's defaults and then with the authors' switches added one at a time (keep the
item before a failed check; remove duplicates within the new rows only; T = the row's input;
start from a random real prefix), at tau 5 and 20: rows and interactions added, the pass rate
of each judged check. m = 5, p = 0.5.

  python launch.py --config=configs/generation_study_beauty.py --sweep=config
  python launch.py --config=configs/generation_study_beauty.py:authors --sweep=config
  python launch.py --config=configs/generation_study_beauty.py:strong --sweep=config

Round 0 comes from a finished run (rsir.round0_dir, relative to each point's folder), so the
study itself only generates (minutes): '' takes the paper-setup model of
configs/rsir_sasrec_beauty.py's sweep (sampled softmax with shared negatives, sequence rows,
seed 0); 'strong' the seed-0 run of configs/sasrec_beauty.py:recbole's sweep (CE on prefix
rows, RecBole's training: rsir_jax.config.recbole_setup);
'authors' the seed-2023 round 0 of configs/rsir_paper_beauty.py's sweep: the authors' model
and training (rsir_jax.config.authors_protocol: their SASRec variant, sampled softmax with
per-position negatives from outside the row, patience 20, seed 2023). Run those sweeps (or,
for 'authors', its first round 0) first, or pass --config.rsir.round0_dir= to train round 0
inside the study.

Result: docs/results.md, section "Which switch makes the check lenient".
"""

from rsir_jax.config import (
  authors_protocol,
  get_base_config,
  paper_setup,
  recbole_setup,
)

PRESETS = ("", "authors", "strong")
ROUND0 = {"": "../../rsir_sasrec_beauty/rsir.tau=5,seed=0",
          "strong": "../../sasrec_beauty_recbole/seed=0",
          "authors": "../../rsir_paper_beauty/seed=2023"}
# The authors' switches, each added to the ones before it.
SWITCHES = ({"rsir.drop_failed": False}, {"rsir.dedup": "new"}, {"rsir.targets": "input"},
            {"rsir.start": "prefix"})


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  if preset == "authors":
    c = authors_protocol(c)
    c.rsir = get_base_config().rsir  # the switches start from today's defaults, as elsewhere
  else:
    c = recbole_setup(c) if preset == "strong" else paper_setup(c)
  c.rsir.rounds, c.rsir.generate_only, c.rsir.m, c.rsir.p = 1, True, 5, 0.5
  c.rsir.round0_dir = ROUND0[preset]
  return c


def get_sweep(preset: str = ""):
  """Points of `--sweep=config`: tau 5 and 20, each with 0 to 4 of the authors' switches."""
  del preset  # the same grid for every model
  points = []
  for tau in (5, 20):
    overrides = {"rsir.tau": tau}
    points.append(dict(overrides))
    for switch in SWITCHES:
      overrides.update(switch)
      points.append(dict(overrides))
  return points
