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

Result: being measured (scripts/table2_queue.sh runs the sweep on the CPU, one part at a
time, committing each finished round's files; docs/results.md section 10). Per-position
negatives now cost about 2x the shared ones on the CPU (x5 before), a generation round about
a third of its earlier time (section 15); `python -m benchmarks.bill_table2` projects the
sweep's CPU hours from the rounds measured so far.
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
