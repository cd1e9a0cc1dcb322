"""Training runs: resume gives the same result, divergence stops cleanly, workdir files."""

import json
import os

import jax
import numpy as np
import pytest

from rsir_jax import checkpoint, default_config, train_step, trainer
from rsir_jax.data.split import leave_one_out


def _tiny_config(**train):
  c = default_config.get_base_config()
  c.model.dim, c.model.num_layers, c.model.max_len = 16, 1, 12
  c.data.bucket_lengths = (4, 8)
  c.train.batch_size, c.train.max_epochs, c.train.patience = 32, 3, 3
  c.eval.batch_size = 64
  for k, v in train.items():
    c.train[k] = v
  return c


def _tiny_split(seed=0):
  """Users walk through item blocks in order, so next items are learnable."""
  rng = np.random.default_rng(seed)
  seqs = []
  for _ in range(150):
    start, n = rng.integers(1, 40), rng.integers(4, 14)
    seqs.append(((start + np.arange(n) * rng.integers(1, 3)) % 60 + 1).astype(np.int32))
  return leave_one_out(seqs)


def test_resume_gives_the_same_result(tmp_path):
  split = _tiny_split()
  full = trainer.train_and_evaluate(_tiny_config(), split, str(tmp_path / "a"))
  interrupted = _tiny_config(checkpoint_every_steps=2, stop_after_steps=9)
  with pytest.raises(trainer.Interrupted):
    trainer.train_and_evaluate(interrupted, split, str(tmp_path / "b"))
  with open(tmp_path / "b" / "metrics.jsonl") as f:
    assert len(f.readlines()) == 1        # epoch 1 of 5 batches finished, epoch 2 cut short
  resumed = trainer.train_and_evaluate(_tiny_config(checkpoint_every_steps=2), split,
                                       str(tmp_path / "b"))
  assert resumed["valid"] == full["valid"] and resumed["test"] == full["test"]
  assert resumed["best_epoch"] == full["best_epoch"]
  lines = [json.loads(l) for l in open(tmp_path / "b" / "metrics.jsonl")]
  want = [json.loads(l) for l in open(tmp_path / "a" / "metrics.jsonl")]
  assert [r["loss"] for r in lines] == [r["loss"] for r in want]
  assert [r["valid"] for r in lines] == [r["valid"] for r in want]


def test_finished_run_is_not_trained_again(tmp_path):
  split = _tiny_split()
  first = trainer.train_and_evaluate(_tiny_config(max_epochs=1), split, str(tmp_path))
  steps = sorted(os.listdir(tmp_path / "checkpoints"))
  again = trainer.train_and_evaluate(_tiny_config(max_epochs=1), split, str(tmp_path))
  assert again["test"] == first["test"]
  assert sorted(os.listdir(tmp_path / "checkpoints")) == steps


def test_divergence_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
  # An absurd learning rate: the first step's loss is finite (it is computed before the
  # update) and is checkpointed; the loss then overflows.
  bad, split = _tiny_config(lr=1e30, checkpoint_every_steps=1), _tiny_split()
  with pytest.raises(trainer.TrainingDiverged, match="last good checkpoint"):
    trainer.train_and_evaluate(bad, split, str(tmp_path))
  cfg = trainer.model_config(bad, split.num_items)
  fresh = train_step.init_state(cfg, train_step.make_optimizer(1.0), jax.random.key(0))
  ckpts = checkpoint.RunCheckpoints(str(tmp_path / "checkpoints"))
  assert ckpts.latest_step() is not None
  state, _ = ckpts.restore({"train": fresh, "best_params": fresh["params"]})
  ckpts.close()
  assert all(np.all(np.isfinite(x)) for x in jax.tree_util.tree_leaves(state["train"]["params"]))


def test_per_target_norm_equal_to_the_batch_count_is_the_batch_mean():
  split = _tiny_split()
  c = _tiny_config()
  cfg = trainer.model_config(c, split.num_items)
  step = train_step.make_train_step(cfg, "ce", 8, 1e-3)
  buckets = trainer.batching.make_train_buckets(split.train, cfg.max_len, (4, 8))
  x, y = trainer.batching.gather_batch(buckets, 0, np.arange(10), 32)
  key = jax.random.key(1)
  fresh = lambda: train_step.init_state(cfg, train_step.make_optimizer(1e-3), jax.random.key(0))
  a, loss_a = step(fresh(), x, y, key, 0.0)
  b, loss_b = step(fresh(), x, y, key, float((y > 0).sum()))
  assert float(loss_a) == float(loss_b)
  for p, q in zip(jax.tree_util.tree_leaves(a["params"]), jax.tree_util.tree_leaves(b["params"])):
    np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", ["ce", "sampled"])
def test_prefix_rows_train_the_same_targets_as_sequence_rows(loss):
  """Without dropout, a batch of all prefixes of some sequences has the same loss as a batch
  of those sequences: the same targets, seen through the same causal contexts."""
  split = _tiny_split()
  c = _tiny_config()
  c.model.dropout = c.model.attn_dropout = 0.0
  cfg = trainer.model_config(c, split.num_items)
  seqs = [s for s in split.train if 2 <= len(s) <= cfg.max_len + 1][:6]
  fresh = lambda: train_step.init_state(cfg, train_step.make_optimizer(1e-3), jax.random.key(0))
  values = []
  for prefixes in (False, True):
    b = trainer.batching.make_train_buckets(seqs, cfg.max_len, (), prefixes=prefixes)
    x, y = trainer.batching.gather_batch(b, 0, np.arange(b.num_rows), 64)
    step = train_step.make_train_step(cfg, loss, 8, 1e-3, one_target_per_row=prefixes)
    values.append(float(step(fresh(), x, y, jax.random.key(1))[1]))
  assert values[0] == pytest.approx(values[1], rel=1e-5)
