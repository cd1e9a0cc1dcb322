r"""RSIR on Amazon Beauty exactly as the authors' released code runs it
(rsir_jax.config.authors_protocol: their SASRec, sampled softmax with 256 negatives per
position from outside the row, one row per user, patience 20, seed 2023; m = 5, p = 0.5,
greedy, first-item start, the item before a failed check kept, duplicates removed within a
round's new rows only, T = the row's input; 3 rounds) at tau 20, the threshold whose data
growth is closest to the paper's (rsir_jax.config.PAPER_TAU).

  python launch.py --config=configs/rsir_paper_beauty.py --sweep=config   # Table 2, 3 seeds
  python launch.py --config=configs/rsir_paper_beauty.py            # with the check, seed 2023
  python launch.py --config=configs/rsir_paper_beauty.py:nofid      # the check off (m = 5)
  python launch.py --config=configs/rsir_paper_beauty.py:nofid_real # ... from real rows only
  python launch.py --config=configs/rsir_paper_beauty.py:smoke      # 2 to 4 minutes

The sweep runs, for seeds 2023, 0 and 1, the rounds with the check, without it, and without it
from the real rows (one round 0 per seed, shared). Without the check a run ends after the
round whose data would pass 20x the real rows (rsir.max_rows_factor). The paper reports 0.0594
Recall@10 after one round on Beauty.

Result (3 seeds, test Recall@10 / NDCG@10, mean ± sd; docs/results.md section 10): round 0
0.0756 ± 0.0011 / 0.0451 ± 0.0009; with the check +2.2% / -0.4% after round 1 (Recall@10 up
at every seed, NDCG@10 level), +3.2% / -0.5% after round 2; without the check round 1 gains
+4.5% / +3.4% (both up at every seed) and the growth cap ends the run. Round 3 with the
check falls back at every seed: +1.7% / -2.2% on round 0 (0.0769 ± 0.0008 / 0.0441 ±
0.0003). Both arms are complete.
"""

from rsir_jax.config import PAPER_PRESETS, get_base_config, paper_rsir, paper_sweep

PRESETS = PAPER_PRESETS
SEEDS = (2023, 0, 1)


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "beauty"
  return paper_rsir(c, preset)


def get_sweep(preset: str = ""):
  """Points of `--sweep=config`: '' runs Table 2 for each of SEEDS; a preset its seeds."""
  return paper_sweep(SEEDS, preset)
