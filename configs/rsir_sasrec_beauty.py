r"""RSIR with SASRec on Amazon Beauty in our reading of the paper's training setup (sampled
softmax with 256 negatives shared by the batch, sequence rows, rsir_jax.config.paper_setup) and
our generation defaults: 3 rounds of train -> generate with fidelity control -> augment ->
retrain, m = 5, p = 0.5, tau = 5. The authors' exact protocol: configs/rsir_paper_beauty.py.

  python launch.py --config=configs/rsir_sasrec_beauty.py            # one run, tau 5, seed 0
  python launch.py --config=configs/rsir_sasrec_beauty.py --sweep=config   # tau 5, 20 x seeds 0, 1
  python launch.py --config=configs/rsir_sasrec_beauty.py:nofid_m1 --sweep=config  # check off
  python launch.py --config=configs/rsir_sasrec_beauty.py:real --sweep=config  # real sources
  python launch.py --config=configs/rsir_sasrec_beauty.py:tau_sweep --sweep=config  # 1 round
  python launch.py --config=configs/rsir_sasrec_beauty.py:smoke      # 1 round, small model

Presets: '' (above); 'nofid_m1' (the fidelity check off, m = 1 since without the check every
trajectory runs until its source is used up, 2 rounds); 'real' (tau 20, generating from the
real rows only, not the paper's rule); 'tau_sweep' (one round at each tau of 1, 5, 20, 100,
seed 0); 'smoke'. In a sweep, points that share a round 0 train it once.

Result (test Recall@10 / NDCG@10, mean of seeds 0 and 1; 2-core CPU, about 5 to 30 minutes a
round): round 0 0.0716 / 0.0412; tau 5 round 3 0.0750 / 0.0427 (+4.8% / +3.6%); tau 20 best
at round 2, 0.0776 / 0.0438 (+8.5% / +6.3%), then back to 0.0757 / 0.0422 at round 3 as the
synthetic share reaches 90%. The paper reports cumulative gains (Sports: 0.0474 -> 0.0512 ->
0.0517 -> 0.0528). Every table in docs/results.md (sections 4 to 7).
"""

from rsir_jax.config import apply_preset, get_base_config, paper_setup

PRESETS = ("", "nofid_m1", "real", "tau_sweep", "smoke")


def get_config(preset: str = ""):
  c = paper_setup(get_base_config())
  c.data.name = "beauty"
  c.rsir.rounds, c.rsir.m, c.rsir.p, c.rsir.tau = 3, 5, 0.5, 5
  if preset == "nofid_m1":
    c.rsir.rounds, c.rsir.fidelity, c.rsir.m = 2, False, 1
  elif preset == "real":
    c.rsir.tau, c.rsir.sources = 20, "real"
  elif preset == "tau_sweep":
    c.rsir.rounds = 1
  else:
    c = apply_preset(c, preset)
    if preset == "smoke":
      c.rsir.rounds, c.rsir.m = 1, 1
  return c


def get_sweep(preset: str = ""):
  """Points of `--sweep=config` for each preset."""
  if preset == "tau_sweep":
    return [{"rsir.tau": tau} for tau in (1, 5, 20, 100)]
  if preset == "":
    return [{"rsir.tau": tau, "seed": s} for tau in (5, 20) for s in (0, 1)]
  return [{"seed": s} for s in (0, 1)]
