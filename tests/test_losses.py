"""Losses against straightforward numpy computations on the same inputs and negatives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rsir_jax.train import losses, pool_negatives, row_negatives

B, L, D, V = 3, 4, 8, 20


@pytest.fixture(scope="module")
def inputs():
  rng = np.random.default_rng(0)
  h = rng.normal(size=(B, L, D)).astype(np.float32)
  table = rng.normal(size=(V + 1, D)).astype(np.float32)
  targets = rng.integers(1, V + 1, size=(B, L)).astype(np.int32)
  targets[0, 2:] = 0     # padding positions carry no loss
  targets[2, 0] = 0
  return h, table, targets


def _logsumexp(x):
  m = np.max(x)
  return m + np.log(np.sum(np.exp(x - m)))


def test_full_ce(inputs):
  h, table, targets = inputs
  want = []
  for b in range(B):
    for l in range(L):
      if targets[b, l]:
        logits = table[1:] @ h[b, l].astype(np.float64)
        want.append(_logsumexp(logits) - logits[targets[b, l] - 1])
  got = losses.full_ce(jnp.asarray(h), jnp.asarray(targets), jnp.asarray(table))
  assert float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_sampled_softmax_with_accidental_hits(inputs):
  h, table, targets = inputs
  key = jax.random.key(5)
  n = 50  # > V, so some negatives must equal targets
  negatives = np.asarray(jax.random.randint(key, (n,), 1, V + 1))
  want = []
  for b in range(B):
    for l in range(L):
      t = targets[b, l]
      if t:
        pos = table[t] @ h[b, l]
        neg = [table[j] @ h[b, l] for j in negatives if j != t]
        want.append(_logsumexp(np.array([pos] + neg, np.float64)) - pos)
  got = losses.sampled_softmax(jnp.asarray(h), jnp.asarray(targets), jnp.asarray(table), key, n)
  assert float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_bce_one_negative(inputs):
  h, table, targets = inputs
  key = jax.random.key(7)
  draws = np.asarray(jax.random.randint(key, (B, L), 1, V))
  want = []
  for b in range(B):
    for l in range(L):
      t = targets[b, l]
      if t:
        neg = draws[b, l] + (draws[b, l] >= t)
        assert neg != t and 1 <= neg <= V
        sp, sn = table[t] @ h[b, l], table[neg] @ h[b, l]
        want.append(np.log1p(np.exp(-sp)) + np.log1p(np.exp(sn)))
  got = losses.bce_one_negative(jnp.asarray(h), jnp.asarray(targets), jnp.asarray(table), key)
  assert float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_unknown_loss_is_refused(inputs):
  h, table, targets = inputs
  with pytest.raises(ValueError, match="train.loss"):
    losses.next_item_loss("hinge", h, targets, table, jax.random.key(0))


def test_row_negatives_are_uniform_over_the_items_outside_the_row():
  """Against a numpy count: never padding, never an item of the row (repeats and padding in
  the row included), every other item about equally often."""
  V = 30
  rows = np.array([[3, 7, 7, 12, 0, 0], [1, 2, 3, 4, 5, 30], [0, 0, 0, 0, 0, 0]], np.int32)
  draws = np.asarray(row_negatives.position_negatives(jax.random.key(0), jnp.asarray(rows), V,
                                                      40, 250))
  assert draws.shape == (3, 40, 250)
  for row, got in zip(rows, draws):
    allowed = sorted(set(range(1, V + 1)) - set(row.tolist()))
    counts = np.bincount(got.ravel(), minlength=V + 1)
    assert counts[0] == 0 and set(np.flatnonzero(counts)) == set(allowed)
    expected = got.size / len(allowed)
    assert np.all(np.abs(counts[allowed] - expected) < 5 * np.sqrt(expected))


@pytest.mark.parametrize("chunk", [0, 1, 5, 32])
def test_sampled_softmax_with_row_negatives(inputs, chunk):
  """Per-position negatives from outside the row's input, against numpy on the same draw,
  computed at once (chunk 0) or by the packed loop (a chunk of 1, one that splits the 10
  targets unevenly, one larger than the batch)."""
  h, table, targets = inputs
  rows = np.array([[1, 2, 3, 0], [4, 4, 5, 6], [7, 8, 9, 10]], np.int32)
  key, n = jax.random.key(6), 12
  negatives = np.asarray(row_negatives.position_negatives(key, jnp.asarray(rows), V, L, n))
  want = []
  for b in range(B):
    assert not set(negatives[b].ravel()) & set(rows[b].tolist())
    for l in range(L):
      t = targets[b, l]
      if t:
        pos = table[t] @ h[b, l]
        neg = [table[j] @ h[b, l] for j in negatives[b, l] if j != t]
        want.append(_logsumexp(np.array([pos] + neg, np.float64)) - pos)
  got = losses.sampled_softmax(jnp.asarray(h), jnp.asarray(targets), jnp.asarray(table), key, n,
                               "row", jnp.asarray(rows), row_chunk=chunk)
  assert float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_row_negatives_packed_loop_has_the_gradients_of_the_plain_computation(inputs):
  """The packed loop's hand-written backward pass against autodiff of the at-once version
  (same draws), for the hidden states and the item table, under jit."""
  h, table, targets = map(jnp.asarray, inputs)
  rows = jnp.asarray(np.array([[1, 2, 3, 0], [4, 4, 5, 6], [7, 8, 9, 10]], np.int32))
  key = jax.random.key(3)

  def grads(chunk):
    loss = lambda h, t: 2.5 * losses.sampled_softmax(h, targets, t, key, 30, "row", rows, chunk)
    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(h, table)

  (want, (dh_want, dt_want)), (got, (dh_got, dt_got)) = grads(0), grads(3)
  assert float(got) == pytest.approx(float(want), rel=1e-6)
  np.testing.assert_allclose(dh_got, dh_want, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(dt_got, dt_want, rtol=1e-5, atol=1e-7)
  assert float(jnp.abs(dt_got[0]).max()) == 0.0  # padding is never a candidate


def test_sampled_softmax_with_row_pool_negatives(inputs):
  """Each row's negatives: the first n pool draws outside its input, shared by its
  positions; against numpy on the same pool."""
  h, table, targets = inputs
  rows = np.array([[1, 2, 3, 0], [4, 4, 5, 6], [7, 8, 9, 10]], np.int32)
  key, n = jax.random.key(8), 12
  pool, taken = map(np.asarray, row_negatives.pool_negatives(key, jnp.asarray(rows), V, n))
  want = []
  for b in range(B):
    negatives = [j for j in pool if j not in rows[b]][:n]
    assert len(negatives) == n and taken[b].sum() == n
    np.testing.assert_array_equal(pool[taken[b]], negatives)
    for l in range(L):
      t = targets[b, l]
      if t:
        pos = table[t] @ h[b, l]
        neg = [table[j] @ h[b, l] for j in negatives if j != t]
        want.append(_logsumexp(np.array([pos] + neg, np.float64)) - pos)
  got = losses.sampled_softmax(jnp.asarray(h), jnp.asarray(targets), jnp.asarray(table), key, n,
                               "row_pool", jnp.asarray(rows))
  assert float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_row_pool_negatives_are_uniform_over_the_items_outside_the_row():
  """Over many pools, each row's negatives cover exactly the items outside it, about
  equally often (the filtered pool is uniform over them)."""
  V, n = 30, 50
  rows = jnp.asarray(np.array([[3, 7, 7, 12, 0, 0], [1, 2, 3, 4, 5, 30]], np.int32))
  draw = jax.jit(jax.vmap(lambda k: row_negatives.pool_negatives(k, rows, V, n)))
  pools, taken = map(np.asarray, draw(jax.random.split(jax.random.key(0), 400)))
  for b, row in enumerate(np.asarray(rows)):
    got = np.concatenate([p[t[b]] for p, t in zip(pools, taken)])
    assert len(got) == 400 * n
    allowed = sorted(set(range(1, V + 1)) - set(row.tolist()))
    counts = np.bincount(got, minlength=V + 1)
    assert set(np.flatnonzero(counts)) == set(allowed)
    expected = got.size / len(allowed)
    assert np.all(np.abs(counts[allowed] - expected) < 5 * np.sqrt(expected))


def _from_pool_draws(key, rows, n, pool_size):
  """What row_from_pool draws for every position of the batch: the pool, and per position
  (B, L) its negatives (the items of its taken pool slots)."""
  pool = pool_negatives.draw_pool(key, V, pool_size)
  in_row = pool_negatives.pool_in_rows(pool, jnp.asarray(rows), V)
  extra = row_negatives.pool_extra(n, rows.shape[1], V)
  slots, taken = map(np.asarray, pool_negatives.draw_slots(key, in_row, jnp.arange(B * L), L,
                                                           n, extra))
  pool = np.asarray(pool)
  return pool, [[pool[slots[b * L + l][taken[b * L + l]]] for l in range(L)] for b in range(B)]


@pytest.mark.parametrize("chunk", [0, 1, 3, 32])
def test_sampled_softmax_with_row_from_pool_negatives(inputs, chunk):
  """Per position: n pool entries outside its row's input (accidental hits masked), against
  numpy on the same draws, at once (chunk 0) or by the packed loop."""
  h, table, targets = inputs
  rows = np.array([[1, 2, 3, 0], [4, 4, 5, 6], [7, 8, 9, 10]], np.int32)
  key, n, pool_size = jax.random.key(9), 12, 16
  pool, negatives = _from_pool_draws(key, rows, n, pool_size)
  want = []
  for b in range(B):
    for l in range(L):
      assert len(negatives[b][l]) == n and not set(negatives[b][l]) & set(rows[b].tolist())
      assert set(negatives[b][l]) <= set(pool.tolist())
      t = targets[b, l]
      if t:
        pos = table[t] @ h[b, l]
        neg = [table[j] @ h[b, l] for j in negatives[b][l] if j != t]
        want.append(_logsumexp(np.array([pos] + neg, np.float64)) - pos)
  got = losses.sampled_softmax(jnp.asarray(h), jnp.asarray(targets), jnp.asarray(table), key, n,
                               "row_from_pool", jnp.asarray(rows), row_chunk=chunk,
                               pool_size=pool_size)
  assert float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_row_from_pool_packed_loop_has_the_gradients_of_the_plain_computation(inputs):
  """The packed loop's hand-written backward pass against autodiff of the at-once version
  (same draws), for the hidden states and the item table, under jit."""
  h, table, targets = map(jnp.asarray, inputs)
  rows = jnp.asarray(np.array([[1, 2, 3, 0], [4, 4, 5, 6], [7, 8, 9, 10]], np.int32))
  key = jax.random.key(4)

  def grads(chunk):
    loss = lambda h, t: 1.5 * losses.sampled_softmax(h, targets, t, key, 10, "row_from_pool",
                                                     rows, chunk, pool_size=12)
    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(h, table)

  (want, (dh_want, dt_want)), (got, (dh_got, dt_got)) = grads(0), grads(4)
  assert float(got) == pytest.approx(float(want), rel=1e-6)
  np.testing.assert_allclose(dh_got, dh_want, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(dt_got, dt_want, rtol=1e-5, atol=1e-7)
  assert float(jnp.abs(dt_got[0]).max()) == 0.0  # padding is never a candidate


def test_row_from_pool_negatives_are_uniform_over_the_items_outside_the_row():
  """Over many batches' pools, each position's negatives cover exactly the items outside
  its row, about equally often: each negative alone is distributed as under `row`."""
  V, n, M, P, pools = 30, 40, 60, 5, 2000
  rows = jnp.asarray(np.array([[3, 7, 7, 12, 0, 0], [1, 2, 3, 4, 5, 30]], np.int32))
  extra = row_negatives.pool_extra(n, rows.shape[1], V)

  def draw(key):
    pool = pool_negatives.draw_pool(key, V, M)
    in_row = pool_negatives.pool_in_rows(pool, rows, V)
    slots, taken = pool_negatives.draw_slots(key, in_row, jnp.arange(2 * P), P, n, extra)
    return pool[slots], taken

  items, taken = map(np.asarray, jax.jit(jax.vmap(draw))(jax.random.split(jax.random.key(0),
                                                                          pools)))
  for b, row in enumerate(np.asarray(rows)):
    got = items[:, b * P:(b + 1) * P][taken[:, b * P:(b + 1) * P]]
    # A toy pool of 60 whose row holds a fifth of the items may leave a position short of n
    # (Beauty's rows hold under 0.5% of a pool): rare.
    assert pools * P * n * 0.999 <= len(got) <= pools * P * n
    allowed = sorted(set(range(1, V + 1)) - set(row.tolist()))
    counts = np.bincount(got, minlength=V + 1)
    assert set(np.flatnonzero(counts)) == set(allowed)
    expected = got.size / len(allowed)
    # Positions of one batch share a pool, so an item's count varies as its number of pool
    # entries does: relative spread about 1 / sqrt(pools * M / V); five of them.
    assert np.all(np.abs(counts[allowed] - expected) < 5 * expected / np.sqrt(pools * M / V))
