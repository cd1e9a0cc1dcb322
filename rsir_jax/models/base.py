"""The interface every backbone implements, so that the trainer, the evaluator, the sampler
and the scan scorer work with any of them unchanged.

A backbone is a frozen (hashable) dataclass of its static settings: it is passed to jitted
functions as a static argument. Its methods are pure functions of an explicit params pytree:

  init(key) -> params
  encode(params, items_BxL, train=False, dropout_key=None[, dropout_scale]) -> h_BxLxD
      hidden states of right-padded item ids (0 = padding); position t sees items 0..t only.
      A backbone that takes `dropout_scale` (a traced factor on its dropout rates) supports
      train.dropout_warmup_epochs; the train step passes it only when that is on.
  empty_cache(length) -> cache
      the decoding state of one sequence before its first item.
  decode(params, item, pos, cache) -> (h_D, cache)
      one position of one sequence; feeding items 0..n-1 one by one gives encode's states.
      Decoding position 0 must not depend on what the cache holds: the sampler hands the
      cache of a finished trajectory to the next one without emptying it (a key/value cache
      is overwritten before it is read; a recurrent state restarts from zero at pos 0).
  score_all(params, h_NxD) -> scores_NxV
      scores over the catalogue (column 0, padding, is -inf).
  auxiliary_loss(params, items_BxL, key[, dropout_scale]) -> scalar
      only where `has_auxiliary_loss`: a training objective of the rows' input sequences
      that the train step adds to the next-item loss (CL4SRec's contrastive loss).

Item ids run 1..num_items; the model keeps at most `max_len` positions. `FlaxBackbone`
implements init, encode and decode for a backbone whose network is one Flax module.
"""

from __future__ import annotations

import abc
import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp


class Backbone(abc.ABC):
  """Abstract next-item model; subclasses are frozen dataclasses with `num_items`, `dim`
  (the hidden size) and `max_len` among their fields."""
  num_items: int
  dim: int
  max_len: int
  supports_dropout_scale = False  # encode takes dropout_scale (train.dropout_warmup_epochs)
  has_auxiliary_loss = False  # auxiliary_loss is defined and added to the training loss
  # The config's `model.*` name of a setting whose field is named otherwise (default: the
  # same name).
  config_names: dict = {}

  @classmethod
  def from_config(cls, model_config, num_items: int) -> "Backbone":
    """The backbone of config section `model` for a catalogue of `num_items` items: each of
    its dataclass fields but num_items read from the section (by `config_names`); fields it
    does not have (e.g. GRU4Rec's attention) are not read."""
    names = [f.name for f in dataclasses.fields(cls) if f.name != "num_items"]
    return cls(num_items=int(num_items),
               **{n: model_config[cls.config_names.get(n, n)] for n in names})

  @abc.abstractmethod
  def init(self, key: jax.Array):
    """A freshly initialised params pytree."""

  @abc.abstractmethod
  def encode(self, params, items_BxL, *, train: bool = False, dropout_key=None):
    """Hidden states (B, L, D) of right-padded item ids (B, L)."""

  @abc.abstractmethod
  def empty_cache(self, length: int | None = None):
    """Decoding state of one sequence of up to `length` (default max_len) positions."""

  @abc.abstractmethod
  def decode(self, params, item, pos, cache):
    """(hidden state (D,) after appending `item` at position `pos`, updated cache)."""

  @abc.abstractmethod
  def item_table(self, params):
    """The (num_items + 1, D) output item embeddings, row 0 being padding."""

  @abc.abstractmethod
  def activation_floats(self, rows: int, length: int) -> int:
    """Rough count of the float32 activations a training step over `rows` rows of `length`
    positions keeps for its backward pass (config_check's memory estimate): enough to tell a
    workable batch size from an impossible one, not an exact figure."""

  def score_all(self, params, h_NxD):
    """Dot-product scores (N, num_items + 1) against every item; column 0 is -inf so that
    padding can never rank or be predicted."""
    scores_NxV = h_NxD @ self.item_table(params).T
    return scores_NxV.at[..., 0].set(-jnp.inf)


class ScaledDropout(nn.Dropout):
  """nn.Dropout whose rate can be scaled by a traced factor (a dropout warmup); without one
  it is nn.Dropout itself, so runs without the schedule reproduce bit for bit."""

  def __call__(self, inputs, deterministic: bool, scale=None):
    if scale is None or deterministic or self.rate == 0.0:
      return super().__call__(inputs, deterministic=deterministic)
    keep_prob = 1.0 - self.rate * scale
    mask = jax.random.bernoulli(self.make_rng("dropout"), p=keep_prob, shape=inputs.shape)
    return jax.lax.select(mask, inputs / keep_prob.astype(inputs.dtype), jnp.zeros_like(inputs))


class FlaxBackbone(Backbone):
  """A backbone whose network is one Flax module (`network()`), with a `decode(item, pos,
  cache)` method beside its `__call__(items_BxL, train, drop_scale=None)` (its dropouts
  ScaledDropouts): init, encode and decode are the module's, over an explicit params
  pytree."""
  supports_dropout_scale = True

  @abc.abstractmethod
  def network(self) -> nn.Module:
    """The Flax module of these settings."""

  def init(self, key: jax.Array):
    """A freshly initialised params pytree."""
    dummy_1xL = jnp.ones((1, 2), dtype=jnp.int32)
    return self.network().init({"params": key}, dummy_1xL, train=False)["params"]

  def encode(self, params, items_BxL, *, train: bool = False, dropout_key=None,
             dropout_scale=None):
    """Hidden states (B, L, D) for right-padded item ids (B, L); pure in params and key.
    `dropout_scale` (a scalar, may be traced) multiplies every dropout rate."""
    rngs = {"dropout": dropout_key} if train else None
    return self.network().apply({"params": params}, items_BxL, train=train,
                                drop_scale=dropout_scale, rngs=rngs)

  def decode(self, params, item, pos, cache):
    """Incremental inference for one sequence: (hidden state (D,) at `pos`, updated cache)."""
    return self.network().apply({"params": params}, item, pos, cache, method="decode")


def kv_cache(num_layers: int, length: int, num_heads: int, dim: int) -> list[dict]:
  """An attention backbone's empty decoding cache: per layer {"k": (H, D/H, length),
  "v": (H, length, D/H)} of zeros, the layouts in which a query's two products read them
  (XLA would otherwise transpose every slot's cache at every step)."""
  K = dim // num_heads
  return [{"k": jnp.zeros((num_heads, K, length)), "v": jnp.zeros((num_heads, length, K))}
          for _ in range(num_layers)]


def attend_cached(q_HxK, k_HxK, v_HxK, cache: dict, pos):
  """Writes position `pos`'s key and value into a kv_cache layer and returns the attention
  logits (H, T) of `q_HxK` over the cache's positions (unscaled, unmasked) and the cache."""
  cache = {"k": cache["k"].at[:, :, pos].set(k_HxK), "v": cache["v"].at[:, pos].set(v_HxK)}
  return jnp.einsum("hk,hkt->ht", q_HxK, cache["k"]), cache


def count_params(params) -> int:
  """Total number of scalars in a params pytree."""
  return sum(int(x.size) for x in jax.tree_util.tree_leaves(params))
