"""The Table 2 bill's projection of rounds not run yet (benchmarks/table2_projection.py)."""

import pytest

from benchmarks import table2_projection


def _round(rows, rows_added, trajectories=100):
  # 2 targets per row, 0.05 s per target; 0.05 s per generated trajectory
  return {"rows": rows, "targets": 2 * rows, "train_s": 0.1 * rows,
          "trajectories": trajectories, "generate_s": 0.05 * trajectories,
          "rows_added": rows_added}


def test_real_rows_as_sources_add_round_0s_generation_each_round():
  # Only round 0 ran: its generation (100 trajectories, 50 rows added) sets the step.
  plan, ok = table2_projection.project_arm({0: [_round(100, 50)]}, {}, real_rows=100, rounds=3,
                                     cap=20.0, real_sources=True, m=5)
  assert ok and [r[0] for r in plan] == [100, 150, 200, 250]
  assert [r[1] for r in plan] == pytest.approx([10, 15, 20, 25])
  # the generation after each round but the last: m trajectories per real row
  assert [r[2] for r in plan] == pytest.approx([5, 25, 25, 0])
  assert [r[3] for r in plan] == [True, False, False, False]


def test_every_row_a_source_grows_by_the_last_factor_until_the_cap():
  measured = {0: [_round(100, 100)], 1: [_round(200, 300, trajectories=200)]}
  plan, ok = table2_projection.project_arm(measured, {}, real_rows=100, rounds=3, cap=5.0,
                                     real_sources=False, m=5)
  assert ok and [r[0] for r in plan] == [100, 200, 400]  # 800 rows would pass 5 x 100
  assert plan[2][2] == pytest.approx(0.05 * 5 * 400)  # the generation that passed the cap
  # nothing measured on this arm or the other: nothing to project from
  assert table2_projection.project_arm({}, {}, 100, 3, 5.0, False, 5) == ([], False)
