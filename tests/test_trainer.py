"""Training runs: resume gives the same result (also with a learning-rate schedule and the rbg
PRNG), a finished fit is read back, divergence stops cleanly, prefix rows train the targets of
sequence rows, the schedule scales the update."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from rsir_jax.run import trainer
from rsir_jax.train import batching, checkpoint
from rsir_jax.train import step as train_step
from tests import conftest, tiny


def _config(**train):
  return tiny.tiny_config({"train.max_epochs": 3, "train.patience": 3,
                           **{f"train.{k}": v for k, v in train.items()}})


def _fit(config, workdir, data):
  return trainer.fit(tiny.resolve(config, data), data.split.train, str(workdir)).results


def test_resume_gives_the_same_result(tiny_data, tmp_path):
  full = _fit(_config(), tmp_path / "a", tiny_data)
  with pytest.raises(trainer.Interrupted):  # epoch 1 of 4 batches finished, epoch 2 cut short
    _fit(_config(checkpoint_every_steps=2, stop_after_steps=6), tmp_path / "b", tiny_data)
  with open(tmp_path / "b" / "metrics.jsonl") as f:
    assert len(f.readlines()) == 1
  assert not os.path.exists(tmp_path / "b" / "results.json")
  resumed = _fit(_config(checkpoint_every_steps=2), tmp_path / "b", tiny_data)
  assert resumed["valid"] == full["valid"] and resumed["test"] == full["test"]
  assert resumed["best_epoch"] == full["best_epoch"]
  lines = [json.loads(l) for l in open(tmp_path / "b" / "metrics.jsonl")]
  want = [json.loads(l) for l in open(tmp_path / "a" / "metrics.jsonl")]
  assert [r["loss"] for r in lines] == [r["loss"] for r in want]
  assert [r["valid"] for r in lines] == [r["valid"] for r in want]


def test_resume_with_schedules_and_the_rbg_stream_gives_the_same_result(tiny_data, tmp_path):
  fast = dict(lr_schedule="cosine", warmup_epochs=0.5, rng="rbg", dropout_warmup_epochs=1.5)
  full = _fit(_config(**fast), tmp_path / "a", tiny_data)
  with pytest.raises(trainer.Interrupted):
    _fit(_config(**fast, checkpoint_every_steps=2, stop_after_steps=6), tmp_path / "b",
         tiny_data)
  resumed = _fit(_config(**fast, checkpoint_every_steps=2), tmp_path / "b", tiny_data)
  assert resumed["valid"] == full["valid"] and resumed["test"] == full["test"]
  assert full["valid"] != _fit(_config(), tmp_path / "c", tiny_data)["valid"]


def test_schedule_warms_up_then_decays_to_zero_at_max_epochs():
  s = lambda e, kind="cosine": train_step.lr_scale(e, kind, warmup_epochs=1.0, total_epochs=5.0)
  assert s(0.0) == 0.01 and s(0.5) == pytest.approx(0.5)
  assert s(1.0) == pytest.approx(1.0) and s(3.0) == pytest.approx(0.5)
  assert s(3.0, "linear") == pytest.approx(0.5) and s(2.0, "linear") == pytest.approx(0.75)
  assert s(5.0) == pytest.approx(0.0, abs=1e-12) and s(7.0) == pytest.approx(0.0, abs=1e-12)
  assert s(4.0, "constant") == 1.0 and train_step.lr_scale(0.0) == 1.0
  assert all(s(e / 10) <= s((e + 1) / 10) for e in range(10))  # warmup rises
  assert all(s(e / 10) >= s((e + 1) / 10) for e in range(10, 60))  # then decays
  with pytest.raises(ValueError, match="lr_schedule"):
    train_step.lr_scale(0.0, "step")


def test_dropout_warmup_rises_from_zero_then_stays_at_one():
  assert train_step.dropout_scale(3.0) == 1.0  # off
  values = [train_step.dropout_scale(e / 2, warmup_epochs=2.0) for e in range(7)]
  assert values == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_decay_on_plateau_halves_the_rate_after_each_run_of_bad_epochs(tiny_data, tmp_path):
  config = _config(max_epochs=6, patience=6, lr_decay_patience=1, lr=0.3)  # too high: no gains
  _fit(config, tmp_path, tiny_data)
  rows = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  factor, want = 1.0, []
  for r in rows:
    factor = factor if r["improved"] else factor * 0.5
    want.append(factor)
  assert [r["lr_factor"] for r in rows] == want and not all(r["improved"] for r in rows)


def test_the_schedule_value_scales_the_update(tiny_data):
  """A step at scale s moves every parameter s times as far as a step at scale 1 (Adam's
  first step: its update does not depend on the gradient's size), and scale 1 is the
  default."""
  setup = tiny.resolve(_config(), tiny_data)
  buckets = batching.make_train_buckets(tiny_data.split.train, setup.model.max_len, (4, 8))
  batch = batching.gather_batch(buckets, 0, np.arange(10), 32)
  key, init = jax.random.key(1), _fresh_state(setup)["params"]
  moves = []
  for scale in (None, 1.0, 0.25):
    args = () if scale is None else (0.0, scale)
    state, _ = setup.train_step(_fresh_state(setup), batch, key, *args)
    moves.append([np.asarray(p) - np.asarray(q) for p, q in
                  zip(jax.tree_util.tree_leaves(state["params"]), jax.tree_util.tree_leaves(init))])
  for default, one, quarter in zip(*moves):
    np.testing.assert_array_equal(default, one)
    np.testing.assert_allclose(quarter, 0.25 * one, rtol=1e-4, atol=1e-7)  # param rounding


def test_a_finished_fit_is_read_back_not_trained_or_evaluated_again(tiny_data, tmp_path,
                                                                   monkeypatch):
  config, data = _config(max_epochs=1), tiny_data
  setup = tiny.resolve(config, data)
  first = trainer.fit(setup, data.split.train, str(tmp_path))
  steps = sorted(os.listdir(tmp_path / "checkpoints"))
  monkeypatch.setattr(trainer.evaluation, "evaluate", lambda *a, **k: pytest.fail("evaluated"))
  again = trainer.fit(setup, data.split.train, str(tmp_path))
  restored = trainer.restore_best(setup, str(tmp_path))
  assert again.results == restored.results == json.loads(json.dumps(first.results))
  assert sorted(os.listdir(tmp_path / "checkpoints")) == steps
  leaves = jax.tree_util.tree_leaves
  for a, b in zip(leaves(first.params), leaves(restored.params)):
    np.testing.assert_array_equal(a, b)


def test_restoring_an_unfinished_fit_is_refused(tmp_path):
  setup = tiny.resolve(_config())
  with pytest.raises(trainer.NotFinishedError, match="no finished training"):
    trainer.restore_best(setup, str(tmp_path))


def test_divergence_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tiny_data,
                                                                                 tmp_path):
  # An absurd learning rate: the first step's loss is finite (it is computed before the
  # update) and is checkpointed; the loss then overflows.
  bad = _config(lr=1e30, checkpoint_every_steps=1)
  with pytest.raises(trainer.TrainingDiverged, match="last good checkpoint"):
    _fit(bad, tmp_path, tiny_data)
  setup = tiny.resolve(bad)
  fresh = train_step.init_state(setup.model, setup.optimizer, jax.random.key(0))
  ckpts = checkpoint.RunCheckpoints(str(tmp_path / "checkpoints"))
  assert ckpts.latest_step() is not None
  state, _ = ckpts.restore({"train": fresh, "best_params": fresh["params"]})
  ckpts.close()
  assert all(np.all(np.isfinite(x)) for x in jax.tree_util.tree_leaves(state["train"]["params"]))


def _fresh_state(setup):
  return train_step.init_state(setup.model, setup.optimizer, jax.random.key(0))


def test_per_target_norm_equal_to_the_batch_count_is_the_batch_mean(tiny_data):
  data = tiny_data
  setup = tiny.resolve(_config(), data)
  buckets = batching.make_train_buckets(data.split.train, setup.model.max_len, (4, 8))
  batch = batching.gather_batch(buckets, 0, np.arange(10), 32)
  key = jax.random.key(1)
  a, loss_a = setup.train_step(_fresh_state(setup), batch, key, 0.0)
  b, loss_b = setup.train_step(_fresh_state(setup), batch, key,
                               float((batch.targets_BxL > 0).sum()))
  assert float(loss_a) == float(loss_b)
  for p, q in zip(jax.tree_util.tree_leaves(a["params"]), jax.tree_util.tree_leaves(b["params"])):
    np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", ["ce", "sampled"])
def test_prefix_rows_train_the_same_targets_as_sequence_rows(tiny_data, loss):
  """Without dropout, a batch of all prefixes of some sequences has the same loss as a batch
  of those sequences: the same targets, seen through the same causal contexts. The batch
  carries its layout, so one step serves both."""
  data = tiny_data
  setup = tiny.resolve(tiny.tiny_config({"model.dropout": 0.0, "model.attn_dropout": 0.0,
                                         "train.loss": loss, "train.num_negatives": 8}), data)
  seqs = [s for s in data.split.train if 2 <= len(s) <= setup.model.max_len + 1][:6]
  values = []
  for prefix_rows in (False, True):
    b = batching.make_train_buckets(seqs, setup.model.max_len, (), prefix_rows=prefix_rows)
    batch = batching.gather_batch(b, 0, np.arange(b.num_rows), 64)
    assert batch.last_only == prefix_rows
    values.append(float(setup.train_step(_fresh_state(setup), batch, jax.random.key(1))[1]))
  assert values[0] == pytest.approx(values[1], rel=1e-5)


@pytest.mark.parametrize("train", [
    dict(),  # bucketed: runs of one shape are cut where the shuffled order changes bucket
    dict(loss="sampled", negatives="row", num_negatives=8, lr_schedule="cosine",
         warmup_epochs=0.5, rng="rbg", dropout_warmup_epochs=1.5, checkpoint_every_steps=3),
])
def test_several_steps_per_call_are_bit_identical_to_one(tiny_data, tmp_path, train):
  """train.steps_per_call = 4 (a lax.scan over up to 4 batches of one shape, unused slots
  skipped) gives the same params, losses and metrics, bit for bit, as one step per call; so
  does a run that stops in the middle of an epoch and resumes with it. Bit for bit under
  XLA's default compiler (the one runs use): under the tests' faster one (conftest.py) the
  scanned and the single steps round differently, so there the next test runs this one in a
  process of its own."""
  if not conftest.full_compile():
    pytest.skip("bit identity is XLA's default compiler's: see the test below")
  one = _fit(_config(**train), tmp_path / "one", tiny_data)
  many = _fit(_config(**train, steps_per_call=4), tmp_path / "many", tiny_data)
  assert many["valid"] == one["valid"] and many["test"] == one["test"]
  loss = lambda d: [json.loads(l)["loss"] for l in open(d / "metrics.jsonl")]
  assert loss(tmp_path / "many") == loss(tmp_path / "one")
  params = lambda d: trainer.restore_best(tiny.resolve(_config(**train), tiny_data), str(d)).params
  same = jax.tree_util.tree_map(lambda a, b: bool(np.array_equal(a, b)),
                                params(tmp_path / "one"), params(tmp_path / "many"))
  assert all(jax.tree_util.tree_leaves(same))
  cut = {**train, "steps_per_call": 4, "checkpoint_every_steps": 3}
  with pytest.raises(trainer.Interrupted):
    _fit(_config(**cut, stop_after_steps=7), tmp_path / "cut", tiny_data)
  assert _fit(_config(**cut), tmp_path / "cut", tiny_data)["valid"] == one["valid"]


def test_several_steps_per_call_are_bit_identical_under_the_default_compiler():
  """The test above, in a pytest process of its own under XLA's default compiler."""
  if conftest.full_compile():
    pytest.skip("this process runs the test above itself")
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  proc = subprocess.run(
      [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
       "tests/test_trainer.py::test_several_steps_per_call_are_bit_identical_to_one"],
      cwd=root, env=conftest.full_compile_env(), capture_output=True, text=True, timeout=600)
  assert proc.returncode == 0 and "2 passed" in proc.stdout, proc.stdout[-3000:]


def test_steps_per_call_run_whole_runs_of_one_bucket_and_stop_for_checkpoints():
  """The trainer's grouping: consecutive batches of one bucket, at most steps_per_call, and
  never past a step where a log line, a checkpoint or the test crash is due."""
  plan = [(0, None)] * 5 + [(1, None)] * 2 + [(0, None)]
  tc = lambda **kw: type("T", (), {"steps_per_call": 4, "log_every_steps": 0,
                                   "checkpoint_every_steps": 0, "stop_after_steps": 0, **kw})
  assert trainer._steps_in_call(plan, 0, 0, tc()) == 4
  assert trainer._steps_in_call(plan, 4, 4, tc()) == 1  # the bucket changes after it
  assert trainer._steps_in_call(plan, 5, 5, tc()) == 2
  assert trainer._steps_in_call(plan, 7, 7, tc()) == 1  # the epoch's last batch
  assert trainer._steps_in_call(plan, 0, 10, tc(checkpoint_every_steps=12)) == 2
  assert trainer._steps_in_call(plan, 0, 10, tc(log_every_steps=3)) == 2
  assert trainer._steps_in_call(plan, 0, 10, tc(stop_after_steps=11)) == 1
