"""Several trained models of one backbone seen as one backbone: the sampler, the scan scorer
and the selection scores run on it unchanged (rsir.generate_ensemble: generate from the last
rounds' models together, the ensemble eval.ensemble_rounds evaluates).

Its params are a tuple of the members' params pytrees. Its hidden state is the members'
states side by side (size x D), its cache the tuple of their caches, and its scores over the
catalogue are the mean of the members' log-probabilities, so ranks (the fidelity check) and
argmax/sampling choices follow the ensemble's distribution.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from rsir_jax.models.base import Backbone


@dataclasses.dataclass(frozen=True)
class Ensemble(Backbone):
  """`size` models of the backbone `member` (hashable: a jit static argument)."""
  member: Backbone
  size: int

  @property
  def num_items(self) -> int:
    return self.member.num_items

  @property
  def dim(self) -> int:
    return self.size * self.member.dim

  @property
  def max_len(self) -> int:
    return self.member.max_len

  def init(self, key: jax.Array):
    """A tuple of `size` freshly initialised members (each from its own key)."""
    return tuple(self.member.init(k) for k in jax.random.split(key, self.size))

  def encode(self, params, items_BxL, *, train: bool = False, dropout_key=None):
    """The members' hidden states (B, L, size x D), side by side."""
    keys = (jax.random.split(dropout_key, self.size) if dropout_key is not None
            else [None] * self.size)
    return jnp.concatenate([self.member.encode(p, items_BxL, train=train, dropout_key=k)
                            for p, k in zip(params, keys)], axis=-1)

  def activation_floats(self, rows: int, length: int) -> int:
    """Every member's: the ensemble encodes the rows once per member."""
    return self.size * self.member.activation_floats(rows, length)

  def empty_cache(self, length: int | None = None):
    """The tuple of the members' empty caches."""
    return tuple(self.member.empty_cache(length) for _ in range(self.size))

  def decode(self, params, item, pos, cache):
    """Each member decodes the position; their states side by side, their caches."""
    out = [self.member.decode(p, item, pos, c) for p, c in zip(params, cache)]
    return jnp.concatenate([h for h, _ in out], axis=-1), tuple(c for _, c in out)

  def item_table(self, params):
    """The members' mean output item embeddings (used only by the insertion heuristic)."""
    return sum(self.member.item_table(p) for p in params) / self.size

  def score_all(self, params, h_NxD):
    """The mean over the members of their log-probabilities of every item (column 0, the
    padding, stays -inf)."""
    d = self.member.dim
    logps = [jax.nn.log_softmax(self.member.score_all(p, h_NxD[..., i * d:(i + 1) * d]), axis=-1)
             for i, p in enumerate(params)]
    return sum(logps) / self.size
