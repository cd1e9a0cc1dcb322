"""rsir.tau_schedule: parsing, a list per round, and 'accept:a' against the first-check pass
rate that generation measures on its own."""

import jax
import pytest

from rsir_jax import models
from rsir_jax.generate import rollouts, sampler, selection, tau_schedule
from tests import tiny


def test_parse_reads_the_three_forms_and_names_bad_ones():
  assert tau_schedule.parse("") == ("fixed", None)
  assert tau_schedule.parse(" 5,10,20 ") == ("list", [5, 10, 20])
  assert tau_schedule.parse("accept:0.6") == ("accept", 0.6)
  assert tau_schedule.parse("share:0.3") == ("share", 0.3)
  for bad in ("accept:0", "accept:x", "5,0", "five", "accept:1.5", "share:-1", "hold:0.5"):
    with pytest.raises(tau_schedule.ScheduleError, match="rsir.tau_schedule"):
      tau_schedule.parse(bad)


def test_a_list_gives_round_k_its_value_and_repeats_the_last():
  taus = [tau_schedule.TauSchedule.from_spec("5,10", 20, 50).for_round(k) for k in range(3)]
  assert taus == [5, 10, 10]
  assert tau_schedule.TauSchedule.from_spec("", 20, 50).for_round(2) == 20


def test_share_scales_the_previous_tau_towards_the_target_share():
  schedule = tau_schedule.TauSchedule.from_spec("share:0.3", 20, num_items=50)
  tau = lambda k, prev, share: schedule.for_round(k, prev, share)
  assert tau(0, None, 0.0) == 20  # round 0: rsir.tau
  assert tau(1, 20, 0.6) == 10 and tau(1, 20, 0.2) == 30   # x 0.5, x 1.5
  assert tau(1, 20, 0.01) == 40 and tau(1, 20, 0.0) == 40  # at most doubled
  assert tau(2, 40, 0.05) == 50 and tau(1, 1, 0.9) == 1    # within 1 .. num_items


@pytest.mark.parametrize("share", [0.3, 0.8])
def test_accept_picks_the_smallest_tau_reaching_the_share(share):
  rows = tiny.tiny_sequences(num_users=60)
  model = models.SASRec(num_items=50, dim=16, num_layers=1, num_heads=2, max_len=12,
                        dropout=0.0, attn_dropout=0.0)
  params = model.init(jax.random.key(0))
  schedule = tau_schedule.TauSchedule.from_spec(f"accept:{share}", 20, model.num_items)
  tau = schedule.for_round(0, ranks=lambda: selection.first_check_ranks(params, model, rows,
                                                                        12))
  rate = lambda t: rollouts.first_check_pass_rate(
      params, model, sampler.SamplerConfig(max_len=12, tau=t), rows)
  assert rate(tau) >= share
  assert tau == 1 or rate(tau - 1) < share
