"""SASRec: causality, padding invariance (what bucketing relies on), shapes, dropout keys."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rsir_jax.models import SASRec

MODEL = SASRec(num_items=30, dim=16, num_layers=2, num_heads=2, max_len=12,
                         dropout=0.3, attn_dropout=0.3)


@pytest.fixture(scope="module")
def params():
  return MODEL.init(jax.random.key(0))


def test_output_at_t_ignores_later_items(params):
  rng = np.random.default_rng(0)
  items = rng.integers(1, 31, size=(4, 10))
  changed = items.copy()
  changed[:, 6:] = rng.integers(1, 31, size=(4, 4))
  h = MODEL.encode(params, jnp.asarray(items))
  h2 = MODEL.encode(params, jnp.asarray(changed))
  np.testing.assert_allclose(h[:, :6], h2[:, :6], atol=1e-5)
  assert not np.allclose(h[:, 6:], h2[:, 6:], atol=1e-3)


def test_causal_also_in_training_mode(params):
  items = jnp.asarray(np.random.default_rng(1).integers(1, 31, size=(2, 8)))
  changed = items.at[:, 5:].set(1)
  key = jax.random.key(3)
  h = MODEL.encode(params, items, train=True, dropout_key=key)
  h2 = MODEL.encode(params, changed, train=True, dropout_key=key)
  np.testing.assert_allclose(h[:, :5], h2[:, :5], atol=1e-5)


def test_trailing_padding_does_not_change_real_positions(params):
  items = jnp.asarray([[3, 7, 9, 0, 0], [4, 0, 0, 0, 0]])
  wide = jnp.pad(items, ((0, 0), (0, 7)))
  h = MODEL.encode(params, items)
  h_wide = MODEL.encode(params, wide)
  np.testing.assert_allclose(h[0, :3], h_wide[0, :3], atol=1e-5)
  np.testing.assert_allclose(h[1, :1], h_wide[1, :1], atol=1e-5)


def test_shapes_scores_and_padding_column(params):
  h = MODEL.encode(params, jnp.ones((3, 5), jnp.int32))
  assert h.shape == (3, 5, 16)
  scores = MODEL.score_all(params, h[:, -1])
  assert scores.shape == (3, 31)
  assert np.all(np.isneginf(scores[:, 0]))
  assert MODEL.item_table(params).shape == (31, 16)


def test_dropout_depends_only_on_key(params):
  items = jnp.ones((2, 6), jnp.int32)
  a = MODEL.encode(params, items, train=True, dropout_key=jax.random.key(1))
  b = MODEL.encode(params, items, train=True, dropout_key=jax.random.key(1))
  c = MODEL.encode(params, items, train=True, dropout_key=jax.random.key(2))
  np.testing.assert_array_equal(a, b)
  assert not np.allclose(a, c)


def test_too_long_input_is_refused(params):
  with pytest.raises(ValueError, match="max_len"):
    MODEL.encode(params, jnp.ones((1, 13), jnp.int32))


def test_cached_decoding_matches_full_encoding(params):
  items = jnp.asarray(np.random.default_rng(4).integers(1, 31, size=12))
  h_full = MODEL.encode(params, items[None])[0]
  cache = MODEL.empty_cache()
  for t in range(12):
    h_t, cache = MODEL.decode(params, items[t], t, cache)
    np.testing.assert_allclose(h_t, h_full[t], atol=1e-5)


@pytest.mark.parametrize("input_norm, ffn_dropout", [(False, True), (True, True), (False, False)])
def test_authors_block_options_keep_decoding_exact_and_causal(input_norm, ffn_dropout):
  """Without the input LayerNorm and with dropout inside the feed-forward (the authors'
  SASRec): cached decoding still equals encoding, training stays causal, and the extra
  dropout acts in training only."""
  model = dataclasses.replace(MODEL, input_norm=input_norm, ffn_dropout=ffn_dropout)
  params = model.init(jax.random.key(0))
  assert ("ln_in" in params) == input_norm
  items = jnp.asarray(np.random.default_rng(5).integers(1, 31, size=12))
  h_full = model.encode(params, items[None])[0]
  cache = model.empty_cache()
  for t in range(12):
    h_t, cache = model.decode(params, items[t], t, cache)
    np.testing.assert_allclose(h_t, h_full[t], atol=1e-5)
  key = jax.random.key(3)
  changed = items.at[6:].set(1)
  a = model.encode(params, items[None], train=True, dropout_key=key)
  b = model.encode(params, changed[None], train=True, dropout_key=key)
  np.testing.assert_allclose(a[:, :6], b[:, :6], atol=1e-5)
  plain = dataclasses.replace(model, ffn_dropout=False)
  c = plain.encode(params, items[None], train=True, dropout_key=key)
  assert np.allclose(a, c) != ffn_dropout  # the extra mask changes training outputs
