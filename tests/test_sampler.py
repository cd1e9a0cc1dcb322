"""Sampler invariants, slot refilling, cached vs uncached decoding, and the fidelity scorer
against numpy."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rsir_jax.generate import rollouts, sampler
from rsir_jax.models import SASRec

V, L = 40, 10
MODEL = SASRec(num_items=V, dim=16, num_layers=2, num_heads=2, max_len=L)


@pytest.fixture(scope="module")
def params():
  return MODEL.init(jax.random.key(0))


def _sources(n=48, seed=0, width=12):
  rng = np.random.default_rng(seed)
  out = np.zeros((n, width), np.int32)
  for i in range(n):
    k = rng.integers(3, width + 1)
    out[i, :k] = rng.choice(np.arange(1, V + 1), size=k, replace=False)
  return jnp.asarray(out)


def _rollouts(params, sampling, sources=None, key=1, slots=0):
  sources = _sources() if sources is None else sources
  out = sampler.generate(params, sources, jax.random.key(key), model=MODEL, sampling=sampling,
                         slots=slots)
  return sampler.Rollouts(*(np.asarray(a) for a in out))


def _generate(params, sampling, sources=None, key=1, slots=0):
  """(items, lengths, reasons)."""
  return _rollouts(params, sampling, sources, key, slots)[:3]


@pytest.mark.parametrize("sampling", [
    sampler.SamplerConfig(max_len=L, tau=5, p_exploit=0.5),
    sampler.SamplerConfig(max_len=L, tau=20, p_exploit=0.5, choice="sample", temperature=0.7,
                          top_k=8),
    sampler.SamplerConfig(max_len=L, tau=3, p_exploit=0.0, start="prefix", drop_failed=False),
    sampler.SamplerConfig(max_len=L, p_exploit=0.5, fidelity=False),
])
def test_invariants(params, sampling):
  sources = np.asarray(_sources())
  items, lengths, reasons = _generate(params, sampling)
  assert len(items) == len(lengths) == len(reasons) == len(sources) > 0
  for row, n, r, src in zip(items, lengths, reasons, sources):
    assert 1 <= n <= L
    assert np.all(row[:n] > 0) and np.all(row[n:] == 0)          # no padding inside
    assert len(set(row[:n].tolist())) == n                        # no repeats
    assert row[0] == src[0]                                       # start item
    assert r in sampler.STOP_REASONS
  if not sampling.fidelity:
    assert sampler.FIDELITY not in reasons
  again = _generate(params, sampling)
  assert all(np.array_equal(a, b) for a, b in zip((items, lengths, reasons), again))


@pytest.mark.parametrize("slots", [1, 5])
def test_refilling_fewer_slots_gives_the_same_trajectories(params, slots):
  sampling = sampler.SamplerConfig(max_len=L, tau=20, p_exploit=0.5, choice="sample",
                                   start="prefix")
  all_at_once = _generate(params, sampling)
  assert len(set(all_at_once[1].tolist())) > 1  # lengths differ: slots really get refilled
  refilled = _generate(params, sampling, slots=slots)
  assert all(np.array_equal(a, b) for a, b in zip(all_at_once, refilled))
  counts = [_rollouts(params, sampling, slots=s).checks_passed for s in (0, slots)]
  np.testing.assert_array_equal(*counts)


def test_full_exploitation_draws_only_source_items(params):
  items, lengths, _ = _generate(params, sampler.SamplerConfig(max_len=L, tau=40, p_exploit=1.0))
  for row, n, src in zip(items, lengths, np.asarray(_sources())):
    assert set(row[:n].tolist()) <= set(src[src > 0].tolist())


def test_without_fidelity_every_source_is_used_up_or_the_length_reached(params):
  items, lengths, reasons = _generate(params, sampler.SamplerConfig(max_len=L, p_exploit=1.0,
                                                                    fidelity=False))
  src_len = np.asarray((_sources() > 0).sum(1))
  np.testing.assert_array_equal(lengths, np.minimum(src_len, L))


@pytest.mark.parametrize("choice", ["greedy", "sample"])
def test_cached_and_uncached_decoding_give_the_same_trajectories(params, choice):
  sampling = sampler.SamplerConfig(max_len=L, tau=10, p_exploit=0.5, choice=choice)
  cached = _generate(params, sampling)
  uncached = _generate(params, dataclasses.replace(sampling, use_cache=False))
  for a, b in zip(cached, uncached):
    np.testing.assert_array_equal(a, b)


def test_drop_loses_exactly_the_failed_item(params):
  sampling = sampler.SamplerConfig(max_len=L, tau=3, p_exploit=0.5)
  d_items, d_len, d_reason = _generate(params, sampling)
  k_items, k_len, k_reason = _generate(params, dataclasses.replace(sampling, drop_failed=False))
  np.testing.assert_array_equal(d_reason, k_reason)
  failed = (d_reason == sampler.FIDELITY) & (k_len > 1)
  assert failed.any()
  np.testing.assert_array_equal(d_len[failed], k_len[failed] - 1)
  np.testing.assert_array_equal(d_len[~failed], k_len[~failed])
  for a, b, n in zip(d_items, k_items, d_len):
    np.testing.assert_array_equal(a[:n], b[:n])


def _numpy_checks(params, source, candidate, tau):
  """Brute force: encode every prefix in full, rank with numpy, ties as DESIGN.md §1.1."""
  table = np.asarray(MODEL.item_table(params))
  n = int((candidate > 0).sum())
  h = np.asarray(MODEL.encode(params, jnp.asarray(candidate[None])))[0]
  src = [int(i) for i in source if i > 0]
  passed, exhausted = {}, {}
  for t in range(1, n + 1):
    scores = table[1:] @ h[t - 1]                      # real items 1..V
    remaining = [i for i in src if i not in candidate[:t]]
    exhausted[t] = not remaining
    ranks = {i: 1 + int(np.sum(scores > scores[i - 1])) for i in remaining}
    passed[t] = any(r <= tau for r in ranks.values())
  return passed, exhausted


@pytest.mark.parametrize("tau, drop", [(1, True), (5, True), (5, False), (20, True)])
def test_scorer_agrees_with_bruteforce_ranks(params, tau, drop):
  rng = np.random.default_rng(tau)
  sources = np.asarray(_sources(seed=tau))
  candidates = np.zeros((len(sources), L), np.int32)
  for i, src in enumerate(sources):
    real = src[src > 0]
    n = rng.integers(2, L + 1)
    pool = np.concatenate([real, rng.choice(np.setdiff1d(np.arange(1, V + 1), real), 10,
                                            replace=False)])
    candidates[i, :n] = rng.choice(pool, size=min(n, len(pool)), replace=False)[:n]
  sampling = sampler.SamplerConfig(max_len=L, tau=tau, drop_failed=drop)
  passed, accepted = sampler.score_sequences(params, jnp.asarray(sources), jnp.asarray(candidates),
                                             model=MODEL, sampling=sampling)
  passed, accepted = np.asarray(passed), np.asarray(accepted)
  for b in range(len(sources)):
    want_pass, want_exhausted = _numpy_checks(params, sources[b], candidates[b], tau)
    n = int((candidates[b] > 0).sum())
    for t in range(1, n + 1):
      assert passed[b, t] == want_pass[t], (b, t)
    want_accepted = n
    for t in range(1, n + 1):
      if want_exhausted[t]:
        want_accepted = t
        break
      if not want_pass[t]:
        want_accepted = max(t - 1, 1) if drop else t
        break
    assert accepted[b] == want_accepted, b


def test_generated_trajectories_are_fully_accepted_by_the_scorer(params):
  sampling = sampler.SamplerConfig(max_len=L, tau=5, p_exploit=0.5)
  sources = _sources()
  items, lengths, _ = _generate(params, sampling, sources)
  _, accepted = sampler.score_sequences(params, sources, jnp.asarray(items), model=MODEL,
                                        sampling=sampling)
  np.testing.assert_array_equal(np.asarray(accepted), lengths)


@pytest.mark.parametrize("tau", [1, 3, 7])
def test_fidelity_check_with_ties_matches_rank_definition(tau):
  rng = np.random.default_rng(tau)
  for _ in range(200):
    scores = rng.integers(0, 4, size=V + 1).astype(np.float32)   # many ties
    scores[0] = -np.inf
    source = rng.choice(np.arange(1, V + 1), size=5, replace=False)
    remaining = source[rng.random(5) < 0.7]
    ranks = [1 + np.sum(scores[1:] > scores[i]) for i in remaining]
    want = any(r <= tau for r in ranks)
    remaining_scores = np.full(5, -np.inf, np.float32)
    remaining_scores[:len(remaining)] = scores[remaining]
    got = sampler.fidelity_check(jnp.asarray(scores), jnp.asarray(remaining_scores), tau)
    assert bool(got) == want


def test_a_round_does_not_depend_on_chunk_size_or_slots(params):
  sampling = sampler.SamplerConfig(max_len=L, tau=10, p_exploit=0.5, choice="sample")
  rows = [r[r > 0] for r in np.asarray(_sources())]
  key = jax.random.key(3)
  one_call = rollouts.generate_round(params, MODEL, sampling, rows, 3, key,
                                     chunk_size=len(rows) * 3)
  for chunk_size, slots in ((16, 0), (16, 4), (7, 3)):
    cut = rollouts.generate_round(params, MODEL, sampling, rows, 3, key, chunk_size, slots=slots)
    assert all(np.array_equal(a, b) for a, b in zip(one_call[:4], cut[:4])), (chunk_size, slots)


@pytest.mark.parametrize("drop_failed, start",
                         [(True, "first"), (False, "first"), (True, "prefix")])
def test_each_generated_item_follows_a_passed_check(params, drop_failed, start):
  """checks_passed counts the judged checks that let a generated item in; forced items are
  never judged. With drop_failed, a failed check also takes back the item before it."""
  sampling = sampler.SamplerConfig(max_len=L, tau=6, p_exploit=0.5, drop_failed=drop_failed,
                                   start=start)
  out = _rollouts(params, sampling)
  generated = out.lengths - out.num_forced
  took_back = drop_failed & (out.reasons == sampler.FIDELITY) & (out.checks_passed > 0)
  np.testing.assert_array_equal(out.checks_passed, generated + took_back)
  assert np.all(out.num_forced == 1) if start == "first" else np.any(out.num_forced > 1)
  if start == "prefix":  # a trajectory can be only its copied prefix: nothing generated
    assert np.any(generated == 0)
