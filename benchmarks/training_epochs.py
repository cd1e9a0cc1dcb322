"""One training epoch of a config's setup, for the benchmarks that time it
(bench_baseline, bench_negatives)."""

import jax

from rsir_jax import parallel
from rsir_jax.run import setup as setup_lib
from rsir_jax.train import batching
from rsir_jax.train import step as train_step


def epoch_runner(config, split, model, bucket_lengths, prefix_rows=False, mesh=None):
  """(one_epoch(state, epoch) -> state, a fresh train state, the buckets) for `config`'s
  training setup: one_epoch runs every batch of that epoch's order and waits for the result.
  With a `mesh`, each batch is split over its devices as the trainer splits it (params
  replicated, one step in flight on simulated CPU devices: parallel.settle)."""
  tc = config.train
  buckets = batching.make_train_buckets(split.train, model.max_len, bucket_lengths, prefix_rows)
  optimizer = train_step.make_optimizer(tc.lr)
  chunk = setup_lib.row_chunk(tc.negatives_chunk, mesh or parallel.make_mesh(1), tc.negatives)
  step = train_step.make_train_step(model, optimizer, tc.loss, tc.num_negatives, mesh,
                                    negatives=tc.negatives, row_chunk=chunk,
                                    pool_size=tc.negatives_pool)
  state = train_step.init_state(model, optimizer, jax.random.key(0))
  key = jax.random.key(1)
  if mesh is not None:
    state, key = parallel.replicate(mesh, state), parallel.replicate(mesh, key)
  place = (lambda b, stacked=False: b) if mesh is None else (
      lambda b, stacked=False: parallel.shard_batch(mesh, b, stacked))
  settle = (lambda x: x) if mesh is None else (lambda x: parallel.settle(mesh, x))

  def one_epoch(state, epoch):
    loss, plan, k = 0.0, batching.epoch_plan(buckets, tc.batch_size, 0, epoch), tc.steps_per_call
    if k > 1:  # runs of one bucket, k to a call (as the trainer does, without its stops)
      i = 0
      while i < len(plan):
        n = 1
        while n < k and i + n < len(plan) and plan[i + n][0] == plan[i][0]:
          n += 1
        batches = batching.stack_batches([batching.gather_batch(
            buckets, *plan[i + min(j, n - 1)], tc.batch_size) for j in range(k)])
        state, loss = step.many(state, place(batches, True), key, 0.0, [1.0] * k, [1.0] * k,
                                [True] * n + [False] * (k - n), loss)
        settle(loss)
        i += n
    else:
      for bucket, rows in plan:
        state, value = step(state, place(batching.gather_batch(buckets, bucket, rows,
                                                                tc.batch_size)), key)
        loss += settle(value)
    jax.block_until_ready(loss)
    return state

  return one_epoch, state, buckets
