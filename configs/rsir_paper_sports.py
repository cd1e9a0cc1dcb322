r"""RSIR on Amazon Sports_and_Outdoors exactly as the authors' released code runs it
(rsir_jax.config.authors_protocol: their SASRec, sampled softmax with 256 negatives per
position from outside the row, one row per user, patience 20, seed 2023; m = 5, p = 0.5,
greedy, first-item start, the item before a failed check kept, duplicates removed within a
round's new rows only, T = the row's input; 3 rounds) at tau 20, the threshold whose data
growth is closest to the paper's (rsir_jax.config.PAPER_TAU).

  python launch.py --config=configs/rsir_paper_sports.py --sweep=config   # Table 2, 3 seeds
  python launch.py --config=configs/rsir_paper_sports.py            # with the check, seed 2023
  python launch.py --config=configs/rsir_paper_sports.py:nofid      # the check off (m = 5)
  python launch.py --config=configs/rsir_paper_sports.py:nofid_real # ... from real rows only
  python launch.py --config=configs/rsir_paper_sports.py:smoke      # 2 to 4 minutes

The sweep runs, for seeds 2023, 0 and 1, the rounds with the check, without it, and without it
from the real rows (one round 0 per seed, shared). Without the check a run ends after the
round whose data would pass 20x the real rows (rsir.max_rows_factor). The paper's Table 2 (seed
2023, test Recall@10 / NDCG@10): base 0.0474 / 0.0271; with the check 0.0512 / 0.0293, 0.0517 /
0.0294, 0.0528 / 0.0298; without it 0.0472 / 0.0273, 0.0384 / 0.0209, 0.0210 / 0.0119.

Result (3 seeds, test Recall@10 / NDCG@10, mean ± sd; docs/results.md section 10): round 0
0.0426 ± 0.0007 / 0.0249 ± 0.0006; with the check +5.2% / +4.7% after round 1 (up at every
seed), +8.0% / +5.1% and +7.6% / +4.5% after rounds 2 and 3 (round over round within the
seed spread); without the check round 1 gains +11.5% / +10.5% (up at every seed) and the
growth cap ends the run. Without the check from the real rows (seeds 2023 and 0): round 1
+10.5% / +9.7%, round 2 +9.5% / +8.9% (a slip at both seeds), seed 2023's round 3 0.0477 /
0.0275 (+10.2% / +8.4%): no collapse. Seed 0's round 3 is queued (scripts/table2_queue.sh,
one round at a time, committing each finished round's files);
`python -m benchmarks.bill_table2` projects the CPU hours left.
"""

from rsir_jax.config import PAPER_PRESETS, get_base_config, paper_rsir, paper_sweep

PRESETS = PAPER_PRESETS
SEEDS = (2023, 0, 1)


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return paper_rsir(c, preset)


def get_sweep(preset: str = ""):
  """Points of `--sweep=config`: '' runs Table 2 for each of SEEDS; a preset its seeds."""
  return paper_sweep(SEEDS, preset)
