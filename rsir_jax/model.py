"""SASRec: a causal self-attention next-item model, as pure functions of a params pytree.

Layout and conventions:
  * Item ids run 1..num_items; id 0 is padding. The item table has num_items + 1 rows and
    row 0 never receives a score (callers mask it).
  * Sequences are right-padded: real items first, padding after. Positions count from the
    start of the (truncated) sequence, so appending an item never changes the position of
    the items before it; this keeps cached keys/values valid for incremental decoding.
  * Attention is causal. With right padding a real position only ever attends to earlier
    real positions, so padding needs no extra key mask.
  * Blocks are post-norm (attention -> dropout -> residual -> LayerNorm, then a GELU
    feed-forward the same way), with LayerNorm and dropout on the input embeddings.

`init_params` builds the pytree; `encode` maps item ids to hidden states; `score_all` turns
hidden states into scores over the catalogue.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class SASRecConfig:
  """Static architecture settings (hashable, so it can be a jit static argument)."""
  num_items: int
  dim: int = 64
  num_layers: int = 2
  num_heads: int = 2
  ffn_mult: int = 4
  dropout: float = 0.5
  attn_dropout: float = 0.5
  max_len: int = 50


_init = nn.initializers.normal(stddev=0.02)


class _Block(nn.Module):
  """One post-norm transformer block with causal multi-head self-attention."""
  cfg: SASRecConfig

  @nn.compact
  def __call__(self, h_BxLxD, train: bool):
    cfg = self.cfg
    B, L, D = h_BxLxD.shape
    H = cfg.num_heads
    qkv_BxLx3D = nn.Dense(3 * D, kernel_init=_init, name="qkv")(h_BxLxD)
    q_BxLxHxK, k_BxLxHxK, v_BxLxHxK = jnp.split(
        qkv_BxLx3D.reshape(B, L, 3 * H, D // H), 3, axis=2)
    logits_BxHxLxL = jnp.einsum("bqhk,bthk->bhqt", q_BxLxHxK, k_BxLxHxK) / jnp.sqrt(D // H)
    causal_LxL = jnp.tril(jnp.ones((L, L), dtype=bool))
    logits_BxHxLxL = jnp.where(causal_LxL, logits_BxHxLxL, jnp.finfo(logits_BxHxLxL.dtype).min)
    attn_BxHxLxL = jax.nn.softmax(logits_BxHxLxL, axis=-1)
    attn_BxHxLxL = nn.Dropout(cfg.attn_dropout)(attn_BxHxLxL, deterministic=not train)
    out_BxLxHxK = jnp.einsum("bhqt,bthk->bqhk", attn_BxHxLxL, v_BxLxHxK)
    out_BxLxD = nn.Dense(D, kernel_init=_init, name="out")(out_BxLxHxK.reshape(B, L, D))
    out_BxLxD = nn.Dropout(cfg.dropout)(out_BxLxD, deterministic=not train)
    h_BxLxD = nn.LayerNorm(epsilon=1e-12, name="ln_attn")(h_BxLxD + out_BxLxD)

    ff_BxLxF = nn.gelu(nn.Dense(cfg.ffn_mult * D, kernel_init=_init, name="ff_in")(h_BxLxD))
    ff_BxLxD = nn.Dense(D, kernel_init=_init, name="ff_out")(ff_BxLxF)
    ff_BxLxD = nn.Dropout(cfg.dropout)(ff_BxLxD, deterministic=not train)
    return nn.LayerNorm(epsilon=1e-12, name="ln_ff")(h_BxLxD + ff_BxLxD)


class SASRec(nn.Module):
  """Item ids (B, L), right-padded with 0, to hidden states (B, L, D)."""
  cfg: SASRecConfig

  def setup(self):
    cfg = self.cfg
    if cfg.dim % cfg.num_heads:
      raise ValueError(f"model.dim={cfg.dim} is not divisible by model.num_heads={cfg.num_heads}")
    self.item_embed = self.param("item_embed", _init, (cfg.num_items + 1, cfg.dim))
    self.pos_embed = self.param("pos_embed", _init, (cfg.max_len, cfg.dim))
    self.ln_in = nn.LayerNorm(epsilon=1e-12)
    self.drop_in = nn.Dropout(cfg.dropout)
    self.blocks = [_Block(cfg, name=f"block_{i}") for i in range(cfg.num_layers)]

  def __call__(self, items_BxL, train: bool = False):
    L = items_BxL.shape[1]
    if L > self.cfg.max_len:
      raise ValueError(f"sequence length {L} exceeds model.max_len={self.cfg.max_len}")
    h_BxLxD = self.item_embed[items_BxL] + self.pos_embed[:L][None]
    h_BxLxD = self.drop_in(self.ln_in(h_BxLxD), deterministic=not train)
    for block in self.blocks:
      h_BxLxD = block(h_BxLxD, train)
    return h_BxLxD


def init_params(cfg: SASRecConfig, key: jax.Array):
  """Returns a freshly initialised params pytree for `cfg`."""
  dummy_1xL = jnp.ones((1, 2), dtype=jnp.int32)
  return SASRec(cfg).init({"params": key}, dummy_1xL, train=False)["params"]


def encode(cfg: SASRecConfig, params, items_BxL, *, train: bool = False, dropout_key=None):
  """Hidden states (B, L, D) for right-padded item ids (B, L); pure in params and key."""
  rngs = {"dropout": dropout_key} if train else None
  return SASRec(cfg).apply({"params": params}, items_BxL, train=train, rngs=rngs)


def item_table(params):
  """The (num_items + 1, D) item embedding table, row 0 being padding."""
  return params["item_embed"]


def score_all(params, h_NxD):
  """Dot-product scores (N, num_items + 1) of hidden states against every item; column 0
  (padding) is set to -inf so it can never rank or be predicted."""
  scores_NxV = h_NxD @ item_table(params).T
  return scores_NxV.at[..., 0].set(-jnp.inf)


def count_params(params) -> int:
  """Total number of scalars in a params pytree."""
  return sum(int(x.size) for x in jax.tree_util.tree_leaves(params))
