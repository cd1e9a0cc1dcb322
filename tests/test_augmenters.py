"""The sequence edits (sequence_ops.py), the augmentation baselines of a round
(augmenters.py, rsir.generator) and CL4SRec's contrastive views and loss
(models/cl4srec.py): each edit's invariants against a plain reading of its rule, the
determinism of a key, a round end to end and the matching of row counts."""

import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rsir_jax import models
from rsir_jax.files.workdir import WorkdirError
from rsir_jax.generate import augmenters
from rsir_jax.models import cl4srec, sequence_ops
from rsir_jax.run import rounds
from tests import tiny

W = 12  # row width
RNG = np.random.default_rng(0)
# Rows of distinct items (so that where an item went is unambiguous), lengths 0..W.
LENGTHS = [0, 1, 2, 3, 5, 7, 9, 12, 12, 4]
ROWS = np.zeros((len(LENGTHS), W), np.int32)
for _i, _n in enumerate(LENGTHS):
  ROWS[_i, :_n] = RNG.choice(np.arange(1, 100), size=_n, replace=False)
SIMILAR = np.concatenate([[0], 1000 + np.arange(1, 100)]).astype(np.int32)  # item -> 1000 + it


def _apply(op, seed, *args):
  """op over every test row, each with its own key."""
  keys = jax.random.split(jax.random.key(seed), len(ROWS))
  out, n = jax.vmap(lambda k, r, m: op(k, r, m, *args))(keys, jnp.asarray(ROWS),
                                                        jnp.asarray(LENGTHS))
  return np.asarray(out), np.asarray(n)


def _padding_after(out, n):
  assert np.all(out[n:] == 0) and np.all(out[:n] != 0)


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.6, 1.0])
def test_crop_keeps_a_contiguous_span_of_the_published_size(rate):
  out, n_out = _apply(sequence_ops.crop, 1, rate)
  for row, n, o, m in zip(ROWS, LENGTHS, out, n_out):
    assert m == (max(int(np.floor(rate * n)), 1) if n else 0)
    _padding_after(o, m)
    real = row[:n].tolist()
    if m:
      start = real.index(o[0])
      assert real[start:start + m] == o[:m].tolist()


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.7, 1.0])
def test_mask_replaces_floor_rate_n_items_by_the_token(rate):
  out, n_out = _apply(lambda k, r, n, a: sequence_ops.mask(k, r, n, a, 777), 2, rate)
  for row, n, o, m in zip(ROWS, LENGTHS, out, n_out):
    assert m == n
    masked = o[:n] == 777
    assert masked.sum() == int(np.floor(rate * n))
    np.testing.assert_array_equal(o[:n][~masked], row[:n][~masked])
    assert np.all(o[n:] == 0)


@pytest.mark.parametrize("rate", [0.2, 0.6, 1.0])
def test_reorder_shuffles_one_span_and_leaves_the_rest(rate):
  moved_any = False
  for seed in range(3, 8):  # at rate 0.2 only the longest rows have a span of 2 to swap
    out, n_out = _apply(sequence_ops.reorder, seed, rate)
    for row, n, o, m in zip(ROWS, LENGTHS, out, n_out):
      assert m == n
      _padding_after(o, n)
      assert sorted(o[:n]) == sorted(row[:n])  # the same items
      changed = np.flatnonzero(o[:n] != row[:n])
      if changed.size:  # the changed positions lie within one span of the rule's size
        moved_any = True
        assert changed[-1] - changed[0] + 1 <= int(np.floor(rate * n))
  assert moved_any


@pytest.mark.parametrize("rate", [0.0, 0.4, 1.0])
def test_insert_puts_the_most_similar_item_before_chosen_items(rate):
  out, n_out = _apply(lambda k, r, n, a: sequence_ops.insert(k, r, n, a, jnp.asarray(SIMILAR)),
                      4, rate)
  assert out.shape == (len(ROWS), 2 * W)
  for row, n, o, m in zip(ROWS, LENGTHS, out, n_out):
    count = max(int(np.floor(rate * n)), 1) if n else 0
    assert m == n + count
    _padding_after(o, m)
    inserted = o[:m] >= 1000
    assert inserted.sum() == count
    np.testing.assert_array_equal(o[:m][~inserted], row[:n])  # the row, in order
    for j in np.flatnonzero(inserted):  # each inserted item precedes the item it resembles
      assert o[j] == SIMILAR[o[j + 1]]


def test_edits_are_functions_of_their_key():
  for op, args in ((sequence_ops.crop, (0.6,)), (sequence_ops.reorder, (0.6,)),
                   (sequence_ops.insert, (0.4, jnp.asarray(SIMILAR)))):
    a, b, c = _apply(op, 5, *args), _apply(op, 5, *args), _apply(op, 6, *args)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_most_similar_items_matches_numpy():
  table = np.random.default_rng(1).normal(size=(40, 8)).astype(np.float32)
  got = augmenters.most_similar_items(table, chunk=16)
  unit = table / np.linalg.norm(table, axis=1, keepdims=True)
  sim = unit @ unit.T
  np.fill_diagonal(sim, -np.inf)
  sim[:, 0] = -np.inf
  np.testing.assert_array_equal(got[1:], np.argmax(sim, axis=1)[1:])
  assert got[0] == 0


@pytest.mark.parametrize("kind", augmenters.HEURISTICS)
def test_generate_round_draws_only_allowed_items_deterministically(kind):
  rows = [r[r > 0] for r in ROWS] + [np.arange(1, 31, dtype=np.int32)]  # one longer than 12
  table = np.random.default_rng(2).normal(size=(120, 8)).astype(np.float32)
  similar = augmenters.most_similar_items(table)
  run = lambda seed: augmenters.generate_round(kind, 0.5, rows, 3, jax.random.key(seed), W,
                                               table, chunk_size=8)
  out = run(0)
  eligible = [i for i, r in enumerate(rows) if len(r) >= 2]
  np.testing.assert_array_equal(out.source_of, np.repeat(eligible, 3))
  assert out.items.shape[1] == W and np.all(out.lengths <= W)
  for items, n, src in zip(out.items, out.lengths, out.source_of):
    source = rows[src][-W:]
    allowed = set(source) | ({int(similar[i]) for i in source} if kind == "insert" else set())
    assert n >= 1 and set(items[:n]) <= allowed and np.all(items[n:] == 0)
    if kind == "reorder":
      assert sorted(items[:n]) == sorted(source)
  again, other = run(0), run(1)
  np.testing.assert_array_equal(out.items, again.items)
  assert not np.array_equal(out.items, other.items)
  with pytest.raises(ValueError, match="not a heuristic"):
    augmenters.generate_round("rsir", 0.5, rows, 1, jax.random.key(0), W)


def test_match_index_keeps_a_seeded_subset_of_rows_in_order():
  lengths = np.full(20, 2)
  kept = augmenters.match_index(lengths, 7, jax.random.key(0))
  assert len(kept) == 7 and kept.tolist() == sorted(kept.tolist())
  assert augmenters.match_index(lengths, 7, jax.random.key(0)).tolist() == kept.tolist()
  assert augmenters.match_index(lengths, 7, jax.random.key(1)).tolist() != kept.tolist()
  assert augmenters.match_index(lengths, 30, jax.random.key(0)).tolist() == list(range(20))


def test_match_index_by_interactions_stays_within_the_total():
  lengths = np.array([1 + i % 5 for i in range(40)])  # 1..5
  kept = augmenters.match_index(lengths, 37, jax.random.key(3), by="interactions")
  assert 37 - 5 < lengths[kept].sum() <= 37 and kept.tolist() == sorted(kept.tolist())
  again = augmenters.match_index(lengths, 37, jax.random.key(3), by="interactions")
  assert again.tolist() == kept.tolist()
  assert len(augmenters.match_index(lengths, 10**6, jax.random.key(3), by="interactions")) == 40


def _round_config(generator, **rsir):
  return tiny.tiny_config({"rsir.rounds": 1, "rsir.generator": generator,
                           "data.bucket_lengths": (12,), "train.max_epochs": 1,
                           "train.patience": 1, **{f"rsir.{k}": v for k, v in rsir.items()}})


def test_a_heuristic_round_end_to_end_and_matched_to_another_run(tiny_data, tmp_path):
  insert_dir = tmp_path / "insert"
  entries = rounds.run_rounds(tiny.resolve(_round_config("insert"), tiny_data), tiny_data,
                              str(insert_dir))
  gen = entries[0]["generation"]
  assert gen["generator"] == "insert" and gen["rows_added"] > 10
  assert entries[1]["data"]["synthetic_rows"] == gen["rows_added"]
  assert all(np.isfinite(v) for v in entries[1]["test"].values())
  # Reordering matched to a run (this one's copy, claiming 50 rows) whose round 0 it takes.
  target = 50
  shutil.copytree(insert_dir, tmp_path / "fake")
  marker_path = tmp_path / "fake" / "round_0" / "round.json"
  with open(marker_path) as f:
    marker = json.load(f)
  marker["generation"]["rows_added"] = target
  marker["generation"]["interactions_added"] = 4 * target
  with open(marker_path, "w") as f:
    json.dump(marker, f)
  with open(tmp_path / "fake" / "config.json", "w") as f:  # as experiment.run writes it
    json.dump(_round_config("insert").to_dict(), f)
  config = _round_config("reorder", match_rows=True, round0_dir="../fake", generate_only=True)
  os.makedirs(tmp_path / "reorder")  # as experiment.run does, so '..' resolves
  os.makedirs(tmp_path / "other")
  entries = rounds.run_rounds(tiny.resolve(config, tiny_data), tiny_data,
                              str(tmp_path / "reorder"))
  gen = entries[0]["generation"]
  assert entries[0]["trained_in"] == "../fake/round_0/train"
  assert gen["rows_before_matching"] > target and gen["rows_added"] == target
  # ... and matched by interactions: at most 200, short of it by less than one row.
  config.rsir.match_by = "interactions"
  os.makedirs(tmp_path / "by_items")
  gen = rounds.run_rounds(tiny.resolve(config, tiny_data), tiny_data,
                          str(tmp_path / "by_items"))[0]["generation"]
  assert gen["interactions_target"] == 4 * target
  assert 4 * target - config.model.max_len < gen["interactions_added"] <= 4 * target
  os.remove(marker_path)
  with pytest.raises(WorkdirError, match="finish round 0"):
    rounds.run_rounds(tiny.resolve(config, tiny_data), tiny_data, str(tmp_path / "other"))


def test_cl4srec_views_edit_each_row_with_one_operator():
  model = models.CL4SRec(num_items=200, dim=16, num_layers=1, num_heads=2, max_len=W,
                         crop_rate=0.5, mask_rate=0.5, reorder_rate=0.5)
  views, n = model.views(jax.random.key(0), jnp.asarray(ROWS))
  views, n = np.asarray(views), np.asarray(n)
  assert views.shape == (2 * len(ROWS), W)
  for row, ln, v, m in zip(np.concatenate([ROWS, ROWS]), LENGTHS * 2, views, n):
    real, got = row[:ln].tolist(), v[:m].tolist()
    masked = [x == model.mask_id for x in got]
    cropped = m < ln or (m and not masked.count(True) and got == real)
    reordered = m == ln and sorted(got) == sorted(real)
    was_masked = m == ln and [g for g, k in zip(got, masked) if not k] == [
        r for r, k in zip(real, masked) if not k]
    assert cropped or reordered or was_masked
    assert np.all(v[m:] == 0)


def test_info_nce_matches_numpy():
  z = np.random.default_rng(3).normal(size=(8, 5)).astype(np.float32)
  valid = np.array([1, 1, 0, 1, 1, 1, 0, 1], bool)
  got = float(cl4srec.info_nce(jnp.asarray(z), jnp.asarray(valid), 0.7))
  sim = z @ z.T / 0.7
  losses = []
  for i in np.flatnonzero(valid):
    others = [j for j in np.flatnonzero(valid) if j != i]
    partner = (i + 4) % 8
    losses.append(-(sim[i, partner] - np.log(np.sum(np.exp(sim[i, others])))))
  assert got == pytest.approx(np.mean(losses), rel=1e-5)
  # Identical, well-separated partners: the loss goes to 0.
  basis = np.eye(4, dtype=np.float32) * 20
  assert float(cl4srec.info_nce(jnp.asarray(np.concatenate([basis, basis])),
                                jnp.ones(8, bool), 1.0)) < 1e-3


def test_cl4srec_auxiliary_loss_has_finite_gradients_and_weight_zero_is_off():
  model = models.CL4SRec(num_items=99, dim=16, num_layers=1, num_heads=2, max_len=W)
  params = model.init(jax.random.key(0))
  items = jnp.asarray(ROWS)  # includes an empty row, which takes no part
  value, grads = jax.value_and_grad(model.auxiliary_loss)(params, items, jax.random.key(1))
  assert np.isfinite(float(value)) and float(value) > 0
  leaves = jax.tree_util.tree_leaves(grads)
  assert all(np.all(np.isfinite(g)) for g in leaves)
  assert np.any(np.asarray(grads["item_embed"][model.mask_id]) != 0)  # the token learns
  off = models.CL4SRec(num_items=99, dim=16, num_layers=1, num_heads=2, max_len=W,
                       cl_weight=0.0)
  assert float(off.auxiliary_loss(params, items, jax.random.key(1))) == 0.0
