"""Trajectory generation with fidelity control (DESIGN.md §1.1), and the fidelity scorer.

One piece of code, `_step`, advances one trajectory by one position: it decodes the newest
item, scores the catalogue given the trajectory so far, checks fidelity (does some
not-yet-used real item of the source still rank within the top tau?), then appends an item
(chosen, or forced), which the next step decodes. A trajectory starts with its first forced
item in place, so no step is spent on a start that is never judged.
  * `generate` vmaps `_step` over a batch of trajectory slots inside a `lax.while_loop`; a slot
    whose trajectory stops takes the next waiting source, and the loop ends when every source
    is done: all shapes fixed, compiled once per batch shape.
  * `score_sequences` runs the same `_step` as a `lax.scan` with every item forced, to judge
    given candidate sequences after the fact: pass/fail per position and accepted length.

Decoding is incremental by default (`use_cache`): keys and values of earlier positions are
cached, so a step costs one position. `use_cache=False` re-encodes the whole prefix each step
(the reference the cache is tested and benchmarked against).

Stop reasons: RUNNING, FIDELITY (the check failed), EXHAUSTED (every real item of the source
is used), MAX_LENGTH.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from rsir_jax.models import Backbone

RUNNING, FIDELITY, EXHAUSTED, MAX_LENGTH = 0, 1, 2, 3
STOP_REASONS = {FIDELITY: "fidelity", EXHAUSTED: "exhausted", MAX_LENGTH: "max_length"}


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
  """Static generation settings (hashable: a jit static argument).

  max_len: longest trajectory (<= the model's max_len).
  tau: rank threshold of the fidelity check; fidelity=False switches the check off.
  p_exploit: probability of choosing among the source's unused items instead of all items.
  drop_failed: on a failed check, drop the item whose context failed (the paper) instead of
    keeping it (the authors' released code).
  choice: "greedy" (argmax) or "sample" (softmax with `temperature`, over the `top_k` best
    when top_k > 0).
  start: "first" (the source's first item) or "prefix" (a random prefix of the source, of
    1 .. len-1 items).
  use_cache: incremental decoding with a key/value cache.
  """
  max_len: int = 50
  tau: int = 5
  p_exploit: float = 0.5
  fidelity: bool = True
  drop_failed: bool = True
  choice: str = "greedy"
  temperature: float = 1.0
  top_k: int = 0
  start: str = "first"
  use_cache: bool = True


class Trajectory(NamedTuple):
  """State of one trajectory (a batch of them under vmap)."""
  items: jax.Array        # (L,) the trajectory, right-padded with 0
  length: jax.Array       # () number of items (>= 1: the start is placed at once)
  reason: jax.Array       # () RUNNING or why it stopped
  cache: list             # the backbone's decoding state of items[:length - 1] (SASRec: per
                          # block {"k", "v"}); the newest item is decoded by the next step
  source: jax.Array       # (S,) the source's real items, right-padded with 0
  forced: jax.Array       # (L,) items to take instead of choosing, for positions < num_forced
  num_forced: jax.Array   # ()
  checks_passed: jax.Array  # () judged checks passed (each followed by a generated item)


class Rollouts(NamedTuple):
  """What `generate` returns, per source row: the trajectory (N, L) right-padded with 0, its
  length, why it stopped, how many of its leading items were forced (copied from the source,
  never generated) and how many fidelity checks it passed."""
  items: jax.Array
  lengths: jax.Array
  reasons: jax.Array
  num_forced: jax.Array
  checks_passed: jax.Array


def _init(model: Backbone, sampling: SamplerConfig, source_S, forced_L, num_forced):
  """A trajectory holding its first forced item (num_forced >= 1), not yet decoded."""
  L = sampling.max_len
  return Trajectory(items=jnp.zeros((L,), jnp.int32).at[0].set(forced_L[0]),
                    length=jnp.ones((), jnp.int32), reason=jnp.zeros((), jnp.int32),
                    cache=model.empty_cache(L), source=source_S, forced=forced_L,
                    num_forced=num_forced, checks_passed=jnp.zeros((), jnp.int32))


def fidelity_check(scores_V, remaining_scores_S, tau: int):
  """True when some remaining real item i has rank(i) = 1 + #{j : score(j) > score(i)} <= tau.

  `remaining_scores_S` holds the scores of the source's unused items, -inf elsewhere. Rank
  only grows as the score falls, so it suffices to rank the best remaining item: one count
  over the catalogue. (This is exactly the check `score(i) >= tau-th largest score` that one
  top_k answers, ties included, but costs one comparison pass instead of a top_k, which on
  CPU sorts: 13 s against 0.16 s for 4096 trajectories x 12,101 items.)
  """
  best_S = jnp.max(remaining_scores_S)
  # Counted in float32 (exact below 2**24 items): XLA:CPU sums booleans as int32 several
  # times slower.
  above = jnp.sum((scores_V > best_S).astype(jnp.float32))
  return (above < tau) & (best_S > -jnp.inf)


def first_argmax(x_V):
  """jnp.argmax (the first index of the largest value) as a max and a min: a third of its
  time on a CPU, where argmax is a paired (value, index) reduction. Exact below 2**24
  entries (the index is carried in float32)."""
  index_V = jnp.arange(x_V.shape[-1], dtype=jnp.float32)
  top = jnp.max(x_V, axis=-1, keepdims=True)
  return jnp.min(jnp.where(x_V == top, index_V, jnp.inf), axis=-1).astype(jnp.int32)


def _choose(sampling: SamplerConfig, key, unused_scores_V, source_S, source_scores_S):
  """Next item: from the source's unused items with probability p_exploit, else from all
  unused items; greedy or sampled."""
  k_coin, k_src, k_all = jax.random.split(key, 3)
  exploit = jax.random.bernoulli(k_coin, sampling.p_exploit)
  if sampling.choice == "greedy":
    from_source = source_S[jnp.argmax(source_scores_S)]
    from_all = first_argmax(unused_scores_V)
  else:
    from_source = source_S[jax.random.categorical(k_src, source_scores_S / sampling.temperature)]
    if sampling.top_k:
      top_scores, top_items = jax.lax.top_k(unused_scores_V, sampling.top_k)
      from_all = top_items[jax.random.categorical(k_all, top_scores / sampling.temperature)]
    else:
      from_all = jax.random.categorical(k_all, unused_scores_V / sampling.temperature)
  return jnp.where(exploit, from_source, from_all).astype(jnp.int32)


def _step(model: Backbone, sampling: SamplerConfig, params, traj: Trajectory, key,
          stop_on_failure: bool = True):
  """Advances one trajectory by one position. Returns (trajectory, check passed, source
  exhausted), the last two about the context before this step's item."""
  n = traj.length  # >= 1; items[n - 1] is decoded now
  if sampling.use_cache:
    hidden, cache = model.decode(params, traj.items[n - 1], n - 1, traj.cache)
  else:
    hidden, cache = model.encode(params, traj.items[None])[0, n - 1], traj.cache
  is_forced = n < traj.num_forced
  scores_V = model.score_all(params, hidden)                 # column 0 is -inf
  # The source's unused items, by comparing it with the trajectory (S x L ids), not by
  # reading the masked scores: the check then reads scores_V before the mask is written
  # into it, and XLA writes it in place instead of copying the (slots, V) scores first.
  used_S = jnp.any(traj.source[:, None] == traj.items[None, :], axis=1)  # padding: used
  source_scores_S = jnp.where(used_S, -jnp.inf, scores_V[traj.source])  # -inf: used, padding
  remaining_S = source_scores_S > -jnp.inf
  passed = fidelity_check(scores_V, source_scores_S, sampling.tau)
  unused_scores_V = scores_V.at[traj.items].set(-jnp.inf)    # items 0-padded: no harm
  passed = passed | (not sampling.fidelity)
  exhausted = ~jnp.any(remaining_S)

  # Why it stops here, in order of precedence: the source is used up (T empty: stop, keep
  # everything), the check failed, the length limit. Forced positions (start, prefix, a
  # scored candidate) are never judged; a stopped trajectory keeps its first reason.
  reason = jnp.where(n >= sampling.max_len, MAX_LENGTH, RUNNING)
  if stop_on_failure:
    reason = jnp.where(~passed, FIDELITY, reason)
  reason = jnp.where(exhausted, EXHAUSTED, reason)
  reason = jnp.where(is_forced & (n < sampling.max_len), RUNNING, reason)
  reason = jnp.where(traj.reason != RUNNING, traj.reason, reason)
  go = reason == RUNNING

  chosen = _choose(sampling, key, unused_scores_V, traj.source, source_scores_S)
  item = jnp.where(is_forced, traj.forced[jnp.minimum(n, sampling.max_len - 1)], chosen)
  pos = jnp.minimum(n, sampling.max_len - 1)
  items = jnp.where(go, traj.items.at[pos].set(item), traj.items)
  # A stopped trajectory's cache is not kept as it was (a copy of every slot's cache each
  # step): nothing reads it again, since the slot's next trajectory starts at position 0 and
  # decoding writes a position before any read of it (models/base.py).
  length = n + go.astype(jnp.int32)
  checks_passed = traj.checks_passed + (go & ~is_forced).astype(jnp.int32)

  # Drop the item whose context failed the check (never a forced one).
  if stop_on_failure and sampling.drop_failed:
    drop = (reason == FIDELITY) & (traj.reason == RUNNING) & (n > traj.num_forced)
    items = jnp.where(drop, items.at[n - 1].set(0), items)
    length = length - drop.astype(jnp.int32)
  return traj._replace(items=items, length=length, reason=reason, cache=cache,
                       checks_passed=checks_passed), passed, exhausted


def _forced_start(sampling: SamplerConfig, source_S, key):
  """Forced items and their count: the source's first item, or a random prefix."""
  forced_L = jnp.zeros((sampling.max_len,), jnp.int32)
  width = min(sampling.max_len, source_S.shape[0])
  forced_L = forced_L.at[:width].set(source_S[:width])
  if sampling.start == "first":
    return forced_L, jnp.ones((), jnp.int32)
  src_len = jnp.sum(source_S > 0)
  longest = jnp.clip(jnp.minimum(src_len - 1, sampling.max_len - 1), 1, None)
  return forced_L, jax.random.randint(key, (), 1, longest + 1)


def _fresh(model: Backbone, sampling: SamplerConfig, source_BxS, start_keys_B) -> Trajectory:
  """New trajectories, one per source row, with their forced start drawn from its key."""
  forced_BxL, num_forced_B = jax.vmap(functools.partial(_forced_start, sampling))(source_BxS,
                                                                            start_keys_B)
  return jax.vmap(functools.partial(_init, model, sampling))(source_BxS, forced_BxL, num_forced_B)


def _restart(model: Backbone, sampling: SamplerConfig, traj: Trajectory, new_B, source_BxS,
             start_keys_B):
  """Puts fresh trajectories from `source_BxS` into the slots where `new_B`. The decoding
  cache is left as it is: decoding position 0 ignores what it holds (models/base.py; a
  key/value cache is written at t before it is read at 0..t, a recurrent state restarts)."""
  fresh = _fresh(model, sampling, source_BxS, start_keys_B)
  pick = lambda a, b: jnp.where(new_B.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)
  return traj._replace(**{f: pick(getattr(fresh, f), getattr(traj, f))
                          for f in Trajectory._fields if f != "cache"})


@functools.partial(jax.jit, static_argnames=("model", "sampling", "slots"))
def generate(params, sources_NxS, key, first=0, count=None, *, model: Backbone,
             sampling: SamplerConfig, slots: int = 0) -> Rollouts:
  """Rolls out one trajectory per row of `sources_NxS` (right-padded real items; repeat rows
  for m copies). Returns Rollouts: items (N, max_len), then per row its length, stop reason,
  number of forced items and of passed checks.

  `slots` trajectories advance together (0: all N at once). Trajectory lengths vary a lot
  (most stop at the first check, a few run for dozens of steps), so with fewer slots than
  sources a slot whose trajectory stops takes the next waiting source inside the same loop,
  and steps are not spent on finished trajectories while the longest one runs. Row i's
  trajectory draws its randomness from fold_in(key, first + i) alone, so the result depends
  neither on `slots` nor on how a long list of sources is cut into calls (`first` = the
  index of row 0 in that list). Only the first `count` rows (default: all) are rolled out;
  the rest pad the batch to its compiled shape and come back empty.
  """
  if sampling.max_len > model.max_len:
    raise ValueError(f"generation max_len {sampling.max_len} exceeds model.max_len "
                     f"{model.max_len}")
  N, L = sources_NxS.shape[0], sampling.max_len
  B = N if slots <= 0 else min(slots, N)
  count = N if count is None else count
  traj_keys_N = jax.vmap(lambda i: jax.random.fold_in(key, i))(first + jnp.arange(N))
  start_keys = lambda src_B: jax.vmap(lambda k: jax.random.fold_in(k, 0))(traj_keys_N[src_B])
  step = jax.vmap(functools.partial(_step, model, sampling, params))

  src_B = jnp.where(jnp.arange(B) < count, jnp.arange(B), -1)  # each slot's source; -1: idle
  traj = _fresh(model, sampling, sources_NxS[:B], start_keys(jnp.arange(B)))
  traj = traj._replace(reason=jnp.where(src_B >= 0, traj.reason, MAX_LENGTH))  # idle: stopped
  out = Rollouts(jnp.zeros((N, L), jnp.int32), *(jnp.zeros((N,), jnp.int32) for _ in range(4)))

  def body(carry):
    traj, src_B, next_src, out = carry
    # The step that extends a trajectory of t items uses key fold_in(key_i, t + 1).
    keys_B = jax.vmap(jax.random.fold_in)(traj_keys_N[jnp.maximum(src_B, 0)], traj.length + 1)
    traj = step(traj, keys_B)[0]
    done_B = (traj.reason != RUNNING) & (src_B >= 0)
    at_B = jnp.where(done_B, src_B, N)  # N: out of bounds, dropped
    out = Rollouts(*(o.at[at_B].set(v, mode="drop") for o, v in zip(out, (
        traj.items, traj.length, traj.reason, traj.num_forced, traj.checks_passed))))
    # Finished slots take the next waiting sources, in slot order.
    new_src_B = next_src + jnp.cumsum(done_B) - 1
    refill_B = done_B & (new_src_B < count)
    src_B = jnp.where(done_B, jnp.where(refill_B, new_src_B, -1), src_B)
    safe_B = jnp.clip(new_src_B, 0, N - 1)
    traj = _restart(model, sampling, traj, refill_B, sources_NxS[safe_B], start_keys(safe_B))
    return traj, src_B, next_src + jnp.sum(done_B), out

  cond = lambda carry: jnp.any(carry[1] >= 0)
  _, _, _, out = jax.lax.while_loop(cond, body, (traj, src_B, jnp.asarray(B, jnp.int32), out))
  return out


@functools.partial(jax.jit, static_argnames=("model", "sampling"))
def score_sequences(params, sources_BxS, candidates_BxL, *, model: Backbone,
                    sampling: SamplerConfig):
  """Judges given candidate sequences against their sources with the sampler's own step.

  Item 0 of a candidate is its start and is not judged; the context candidate[:t] is judged
  for t = 1 .. length, as the sampler judges a context before extending it (and once more
  after the last item). Returns (passed (B, L + 1): the check on the context of t items,
  False where nothing was judged; accepted (B,): how many leading items the sampler keeps:
  up to the first context whose source is used up, or that fails the check, minus the item
  that failed it when sampling.drop_failed).
  """
  B, L = candidates_BxL.shape
  sampling = dataclasses.replace(sampling, max_len=L, p_exploit=0.0, choice="greedy")
  lengths_B = jnp.sum(candidates_BxL > 0, axis=1)
  traj = jax.vmap(functools.partial(_init, model, sampling))(
      sources_BxS, candidates_BxL, jnp.full((B,), L, jnp.int32))
  step = jax.vmap(functools.partial(_step, model, sampling, params, stop_on_failure=False))
  keys_B = jax.random.split(jax.random.key(0), B)  # unused: every item is forced

  def body(traj, _):
    traj, passed_B, exhausted_B = step(traj, keys_B)
    return traj, (passed_B, exhausted_B)

  # L steps: step t - 1 judges the context of t items (t = 1 .. L), then appends item t.
  _, (passed_TxB, exhausted_TxB) = jax.lax.scan(body, traj, None, length=L)
  nothing_1xB = jnp.zeros((1, B), bool)  # no context of 0 items is judged
  passed_TxB = jnp.concatenate([nothing_1xB, passed_TxB])
  exhausted_TxB = jnp.concatenate([nothing_1xB, exhausted_TxB])
  t_T = jnp.arange(L + 1)
  judged_BxT = (t_T[None] >= 1) & (t_T[None] <= lengths_B[:, None])
  exhausted_BxT = exhausted_TxB.T & judged_BxT
  failed_BxT = ~passed_TxB.T & judged_BxT & ~exhausted_BxT
  stop_BxT = exhausted_BxT | failed_BxT
  first_B = jnp.where(jnp.any(stop_BxT, axis=1), jnp.argmax(stop_BxT, axis=1), lengths_B)
  dropped_B = jnp.take_along_axis(failed_BxT, first_B[:, None], axis=1)[:, 0] & sampling.drop_failed
  accepted_B = jnp.maximum(first_B - dropped_B.astype(jnp.int32), 1)
  return passed_TxB.T & judged_BxT, accepted_B
