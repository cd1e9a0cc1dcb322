"""Every backbone (sasrec, cl4srec, gru4rec, hstu) against the interface of models/base.py: cached
decoding equals encoding, causality (also in training), padding invariance, shapes, the
sampler's slot refilling, a train step on both row layouts, and one RSIR round end to end
(two fits and a generation); SASRec's own test files hold the last three for it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rsir_jax import models
from rsir_jax.generate import sampler
from rsir_jax.run import rounds
from rsir_jax.train import batching
from rsir_jax.train import step as train_step
from tests import tiny

V, L = 30, 12
MODELS = {
    "sasrec": models.SASRec(num_items=V, dim=16, num_layers=2, num_heads=2, max_len=L,
                            dropout=0.3, attn_dropout=0.3),
    "cl4srec": models.CL4SRec(num_items=V, dim=16, num_layers=2, num_heads=2, max_len=L,
                              dropout=0.3, attn_dropout=0.3),
    "gru4rec": models.GRU4Rec(num_items=V, dim=16, num_layers=2, max_len=L, dropout=0.3),
    "hstu": models.HSTU(num_items=V, dim=16, num_layers=2, num_heads=2, max_len=L,
                        dropout=0.3, attn_dropout=0.3),
}
NAMES = sorted(MODELS)
# The checks parametrized over these only are in sasrec's own test files (test_sampler,
# test_trainer, test_rounds).
NEW = ["cl4srec", "gru4rec", "hstu"]


def _params(model):
  """Initial params plus noise, so that every weight (e.g. HSTU's relative bias, initialised
  near zero) visibly matters and a wrong index or cache cannot pass by smallness."""
  params = model.init(jax.random.key(0))
  leaves, treedef = jax.tree_util.tree_flatten(params)
  keys = jax.random.split(jax.random.key(1), len(leaves))
  noisy = [a + 0.3 * jax.random.normal(k, a.shape) for a, k in zip(leaves, keys)]
  return jax.tree_util.tree_unflatten(treedef, noisy)


@pytest.fixture(scope="module", params=NAMES)
def model_and_params(request):
  model = MODELS[request.param]
  return model, _params(model)


@functools.partial(jax.jit, static_argnames=("model", "train"))
def _encode(model, params, items_BxL, train=False, dropout_key=None, dropout_scale=None):
  """model.encode, compiled (run op by op it dominates the time of these tests)."""
  return model.encode(params, items_BxL, train=train, dropout_key=dropout_key,
                      dropout_scale=dropout_scale)


def _items(seed, shape):
  return jnp.asarray(np.random.default_rng(seed).integers(1, V + 1, size=shape))


def test_registry_builds_each_backbone_from_the_config():
  for name, model in MODELS.items():
    c = tiny.tiny_config({"model.name": name})
    built = models.build(c.model, V)
    assert type(built) is type(model) and built.dim == 16 and built.max_len == L


def test_cached_decoding_matches_full_encoding(model_and_params):
  model, params = model_and_params
  items_L = _items(4, L)
  h_LxD = _encode(model, params, items_L[None])[0]
  decode = jax.jit(model.decode)
  for cache in (model.empty_cache(), model.empty_cache(L)):
    for t in range(L):
      h_D, cache = decode(params, items_L[t], t, cache)
      np.testing.assert_allclose(h_D, h_LxD[t], atol=1e-5, rtol=1e-5)
  # A cache that held another sequence (as the sampler reuses it) does not change position 0.
  h0_D, _ = decode(params, items_L[0], 0, cache)
  np.testing.assert_allclose(h0_D, h_LxD[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("train", [False, True])
def test_output_at_t_ignores_later_items(model_and_params, train):
  model, params = model_and_params
  items_BxL = _items(0, (4, 10))
  changed_BxL = items_BxL.at[:, 6:].set(_items(1, (4, 4)))
  kw = dict(train=True, dropout_key=jax.random.key(3)) if train else {}
  h = _encode(model, params, items_BxL, **kw)
  h2 = _encode(model, params, changed_BxL, **kw)
  np.testing.assert_allclose(h[:, :6], h2[:, :6], atol=1e-5)
  assert not np.allclose(h[:, 6:], h2[:, 6:], atol=1e-3)


def test_trailing_padding_does_not_change_real_positions(model_and_params):
  model, params = model_and_params
  items_BxL = jnp.asarray([[3, 7, 9, 0, 0], [4, 0, 0, 0, 0]])
  h = _encode(model, params, items_BxL)
  h_wide = _encode(model, params, jnp.pad(items_BxL, ((0, 0), (0, 7))))
  np.testing.assert_allclose(h[0, :3], h_wide[0, :3], atol=1e-5)
  np.testing.assert_allclose(h[1, :1], h_wide[1, :1], atol=1e-5)


def test_shapes_scores_dropout_and_length_limit(model_and_params):
  model, params = model_and_params
  h_BxLxD = _encode(model, params, jnp.ones((3, 5), jnp.int32))
  assert h_BxLxD.shape == (3, 5, 16)
  scores_BxV = model.score_all(params, h_BxLxD[:, -1])
  assert scores_BxV.shape == (3, V + 1)
  assert np.all(np.isneginf(scores_BxV[:, 0])) and np.all(np.isfinite(scores_BxV[:, 1:]))
  assert model.item_table(params).shape == (V + 1, 16)
  drop = lambda k: _encode(model, params, jnp.ones((2, 6), jnp.int32), train=True,
                           dropout_key=jax.random.key(k))
  np.testing.assert_array_equal(drop(1), drop(1))
  assert not np.allclose(drop(1), drop(2))
  with pytest.raises(ValueError, match="max_len"):
    _encode(model, params, jnp.ones((1, L + 1), jnp.int32))
  hash(model)  # a jit static argument


def test_dropout_scale_zero_is_no_dropout_and_one_is_the_configured_rates(model_and_params):
  """train.dropout_warmup_epochs' traced factor on every dropout rate of the backbone."""
  model, params = model_and_params
  assert model.supports_dropout_scale
  items = _items(2, (3, 7))
  train = lambda scale=None: _encode(model, params, items, train=True,
                                     dropout_key=jax.random.key(5), dropout_scale=scale)
  np.testing.assert_allclose(train(jnp.float32(0.0)), _encode(model, params, items), atol=1e-5)
  np.testing.assert_allclose(train(jnp.float32(1.0)), train(), atol=1e-5)
  half = train(jnp.float32(0.5))
  assert not np.allclose(half, train(), atol=1e-3)
  assert not np.allclose(half, _encode(model, params, items), atol=1e-3)


@pytest.mark.parametrize("name", NEW)
def test_refilling_slots_gives_the_same_trajectories(name):
  """The sampler hands a finished trajectory's cache to the next source in its slot without
  emptying it; the trajectories must not depend on the number of slots."""
  model = MODELS[name]
  params = _params(model)
  rng = np.random.default_rng(0)
  sources_NxS = np.zeros((12, 8), np.int32)
  for i in range(12):
    k = rng.integers(3, 9)
    sources_NxS[i, :k] = rng.choice(np.arange(1, V + 1), size=k, replace=False)
  sampling = sampler.SamplerConfig(max_len=L, tau=8, p_exploit=0.5)
  run = lambda slots: sampler.generate(params, jnp.asarray(sources_NxS), jax.random.key(1),
                                       model=model, sampling=sampling, slots=slots)
  all_at_once, refilled = run(0), run(3)
  assert len(set(np.asarray(all_at_once.lengths).tolist())) > 1  # slots really get refilled
  for a, b in zip(all_at_once, refilled):
    np.testing.assert_array_equal(a, b)


def _fit_config(name, rsir_rounds=0, **train):
  """The tiny config with backbone `name`, one epoch and one batch shape (compiling dominates
  a run this short)."""
  return tiny.tiny_config({"model.name": name, "data.bucket_lengths": (L,),
                           "train.max_epochs": 1, "train.patience": 1,
                           "rsir.rounds": rsir_rounds,
                           **{f"train.{k}": v for k, v in train.items()}})


@pytest.mark.parametrize("name", NEW)
def test_train_step_on_sequence_rows_and_prefix_rows(name, tiny_data):
  """Without dropout, one full-softmax train step on sequence rows and one on the prefix rows
  of the same sequences give the same finite loss: the same targets seen through the same
  causal contexts. Sampled softmax with per-row negatives on prefix rows: a finite loss."""
  seqs = [s for s in tiny_data.split.train if 2 <= len(s) <= L + 1][:6]
  batches = []
  for prefix_rows in (False, True):
    b = batching.make_train_buckets(seqs, L, (), prefix_rows=prefix_rows)
    batches.append(batching.gather_batch(b, 0, np.arange(b.num_rows), 64))

  def loss(batch, **train):
    config = _fit_config(name, **train)
    config.model.dropout, config.model.attn_dropout = 0.0, 0.0
    setup = tiny.resolve(config, tiny_data)
    state = train_step.init_state(setup.model, setup.optimizer, jax.random.key(0))
    return float(setup.train_step(state, batch, jax.random.key(1))[1])

  ce = [loss(batch, loss="ce") for batch in batches]
  assert np.all(np.isfinite(ce)) and ce[0] == pytest.approx(ce[1], rel=1e-5)
  assert np.isfinite(loss(batches[1], loss="sampled", negatives="row", num_negatives=8))


@pytest.mark.parametrize("name", NEW)
def test_one_rsir_round(name, tiny_data, tmp_path):
  """Two fits with a generation between them (sampled softmax with per-row negatives on
  sequence rows, the authors' setup): finite metrics in both rounds."""
  config = _fit_config(name, rsir_rounds=1, loss="sampled", negatives="row",
                       num_negatives=8, prefix_rows=False)
  entries = rounds.run_rounds(tiny.resolve(config, tiny_data), tiny_data, str(tmp_path))
  assert [e["round"] for e in entries] == [0, 1]
  assert entries[0]["generation"]["trajectories"] > 0
  for e in entries:
    assert all(np.isfinite(v) for v in e["test"].values())
