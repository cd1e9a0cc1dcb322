"""Bucketed batches: every target trained once per epoch, shapes static, order reproducible."""

import numpy as np

from rsir_jax.train import batching


def _random_sequences(n=300, seed=0):
  rng = np.random.default_rng(seed)
  return [rng.integers(1, 100, size=rng.integers(1, 80)).astype(np.int32) for _ in range(n)]


def test_bucket_sizes_end_at_max_len():
  assert batching.bucket_sizes(50, (8, 4, 4, 64, 50)) == (4, 8, 50)
  assert batching.bucket_sizes(10, ()) == (10,)


def test_train_buckets_keep_every_target_of_the_recent_window():
  seqs = _random_sequences()
  b = batching.make_train_buckets(seqs, max_len=20, bucket_lengths=(4, 8))
  assert b.sizes == (4, 8, 20)
  assert b.num_skipped == sum(len(s) < 2 for s in seqs)
  assert b.num_targets == sum(min(len(s), 21) - 1 for s in seqs if len(s) >= 2)
  # Each row is a shifted copy of the most recent max_len + 1 items of one sequence.
  rows = set()
  for inputs, targets, width in zip(b.inputs, b.targets, b.sizes):
    assert inputs.shape[1] == width == targets.shape[1]
    for x, y in zip(inputs, targets):
      n = int((y > 0).sum())
      assert np.all(x[n:] == 0) and np.all(y[n:] == 0)
      np.testing.assert_array_equal(x[1:n], y[:n - 1])
      rows.add(tuple(x[:n]) + (int(y[n - 1]),))
  want = {tuple(s[-21:]) for s in seqs if len(s) >= 2}
  assert rows == want


def test_epoch_plan_covers_each_row_once_and_is_reproducible():
  b = batching.make_train_buckets(_random_sequences(), 20, (4, 8))
  plan = batching.epoch_plan(b, batch_size=16, seed=3, epoch=2)
  seen = {(bucket, int(r)) for bucket, rows in plan for r in rows}
  assert len(seen) == b.num_rows == sum(len(rows) for _, rows in plan)
  again = batching.epoch_plan(b, batch_size=16, seed=3, epoch=2)
  assert all(x[0] == y[0] and np.array_equal(x[1], y[1]) for x, y in zip(plan, again))
  other = batching.epoch_plan(b, batch_size=16, seed=3, epoch=3)
  assert any(x[0] != y[0] or not np.array_equal(x[1], y[1]) for x, y in zip(plan, other))


def test_gather_batch_fills_short_batches_with_empty_rows():
  b = batching.make_train_buckets(_random_sequences(), 20, (4, 8))
  bucket, rows = batching.epoch_plan(b, 1000, 0, 0)[0]
  batch = batching.gather_batch(b, bucket, rows, 1000)
  x, y = batch.inputs_BxL, batch.targets_BxL
  assert x.shape == (1000, b.sizes[bucket]) and not batch.last_only
  assert np.all(y[len(rows):] == 0) and np.all(x[len(rows):] == 0)


def test_eval_batches_recent_inputs_and_full_history():
  seqs = _random_sequences(seed=1)
  targets = np.arange(1, len(seqs) + 1, dtype=np.int32)
  batches = batching.make_eval_batches(seqs, targets, max_len=20, bucket_lengths=(8,),
                                       batch_size=32)
  got = {}
  for batch in batches:
    assert batch.inputs.shape[1] <= 20 and batch.inputs.shape[1] <= batch.history.shape[1]
    for x, h, t in zip(batch.inputs, batch.history, batch.targets):
      if t:
        got[int(t)] = (x[x > 0], h[h > 0])
  assert sorted(got) == list(targets)
  for t, s in zip(targets, seqs):
    x, h = got[int(t)]
    np.testing.assert_array_equal(h, s)
    np.testing.assert_array_equal(x, s[-20:])


def test_prefix_rows_hold_every_prefix_with_one_target_at_its_end():
  seqs = _random_sequences(seed=2)
  b = batching.make_train_buckets(seqs, max_len=20, bucket_lengths=(4, 8), prefix_rows=True)
  assert b.num_skipped == sum(len(s) < 2 for s in seqs)
  # Every item after the first is a target once, long sequences included (no window cut).
  assert b.num_targets == b.num_rows == sum(len(s) - 1 for s in seqs if len(s) >= 2)
  rows = []
  for inputs, targets in zip(b.inputs, b.targets):
    for x, y in zip(inputs, targets):
      n = int((x > 0).sum())
      assert np.all(x[n:] == 0) and np.flatnonzero(y).tolist() == [n - 1]
      rows.append(tuple(x[:n]) + (int(y[n - 1]),))
  want = [tuple(s[max(0, t - 20):t + 1]) for s in seqs for t in range(1, len(s))]
  assert sorted(rows) == sorted(want)
