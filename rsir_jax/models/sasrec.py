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
    feed-forward the same way), with LayerNorm (`input_norm`) and dropout on the input
    embeddings. `ffn_dropout` adds dropout inside the feed-forward, after the activation
    (PyTorch's TransformerEncoderLayer, which the authors' SASRec uses, without an input norm).

`SASRec` is the backbone (models/base.py): a frozen dataclass of its settings whose methods
are pure functions of a params pytree. The flax modules below are its implementation.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from rsir_jax.models.base import FlaxBackbone, ScaledDropout, attend_cached, kv_cache

_init = nn.initializers.normal(stddev=0.02)


class _Block(nn.Module):
  """One post-norm transformer block with causal multi-head self-attention.

  `__call__` processes whole sequences; `decode` processes one new position of one sequence
  against cached keys and values. Both share every layer, so they compute the same function.
  """
  cfg: "SASRec"

  def setup(self):
    cfg = self.cfg
    self.qkv = nn.Dense(3 * cfg.dim, kernel_init=_init)
    self.out = nn.Dense(cfg.dim, kernel_init=_init)
    self.ff_in = nn.Dense(cfg.ffn_mult * cfg.dim, kernel_init=_init)
    self.ff_out = nn.Dense(cfg.dim, kernel_init=_init)
    self.ln_attn = nn.LayerNorm(epsilon=1e-12)
    self.ln_ff = nn.LayerNorm(epsilon=1e-12)
    # Dropout names are part of each mask's PRNG stream; these keep the streams of the
    # original (compact) definition, so earlier runs reproduce bit for bit.
    self.Dropout_0 = ScaledDropout(cfg.attn_dropout)  # on attention weights
    self.Dropout_1 = ScaledDropout(cfg.dropout)  # on the attention output
    self.Dropout_2 = ScaledDropout(cfg.dropout)  # on the feed-forward output
    if cfg.ffn_dropout:
      self.Dropout_3 = ScaledDropout(cfg.dropout)  # inside the feed-forward

  def _split_heads(self, x_LxD):
    """(..., 3D) -> q, k, v each (..., H, D/H)."""
    H, K = self.cfg.num_heads, self.cfg.dim // self.cfg.num_heads
    qkv = self.qkv(x_LxD)
    return jnp.split(qkv.reshape(qkv.shape[:-1] + (3 * H, K)), 3, axis=-2)

  def _residual_and_ffn(self, h_xD, attn_out_xD, train: bool, drop_scale=None):
    """Attention output projection, residual, norm, then the feed-forward half."""
    out_xD = self.Dropout_1(self.out(attn_out_xD), not train, drop_scale)
    h_xD = self.ln_attn(h_xD + out_xD)
    ff_xD = nn.gelu(self.ff_in(h_xD))
    if self.cfg.ffn_dropout:
      ff_xD = self.Dropout_3(ff_xD, not train, drop_scale)
    ff_xD = self.Dropout_2(self.ff_out(ff_xD), not train, drop_scale)
    return self.ln_ff(h_xD + ff_xD)

  def __call__(self, h_BxLxD, train: bool, drop_scale=None):
    B, L, D = h_BxLxD.shape
    q_BxLxHxK, k_BxLxHxK, v_BxLxHxK = self._split_heads(h_BxLxD)
    logits_BxHxLxL = (jnp.einsum("bqhk,bthk->bhqt", q_BxLxHxK, k_BxLxHxK)
                      / jnp.sqrt(D // self.cfg.num_heads))
    causal_LxL = jnp.tril(jnp.ones((L, L), dtype=bool))
    logits_BxHxLxL = jnp.where(causal_LxL, logits_BxHxLxL, jnp.finfo(logits_BxHxLxL.dtype).min)
    attn_BxHxLxL = jax.nn.softmax(logits_BxHxLxL, axis=-1)
    attn_BxHxLxL = self.Dropout_0(attn_BxHxLxL, not train, drop_scale)
    out_BxLxHxK = jnp.einsum("bhqt,bthk->bqhk", attn_BxHxLxL, v_BxLxHxK)
    return self._residual_and_ffn(h_BxLxD, out_BxLxHxK.reshape(B, L, D), train, drop_scale)

  def decode(self, h_D, cache, pos):
    """One position `pos` of one sequence (inference): writes its key and value into `cache`
    (models/base.py kv_cache) and attends over positions 0..pos."""
    D = h_D.shape[-1]
    q_HxK, k_HxK, v_HxK = self._split_heads(h_D)
    logits_HxT, cache = attend_cached(q_HxK, k_HxK, v_HxK, cache, pos)
    logits_HxT = logits_HxT / jnp.sqrt(D // self.cfg.num_heads)
    seen_T = jnp.arange(logits_HxT.shape[1]) <= pos
    logits_HxT = jnp.where(seen_T, logits_HxT, jnp.finfo(logits_HxT.dtype).min)
    out_HxK = jnp.einsum("ht,htk->hk", jax.nn.softmax(logits_HxT, axis=-1), cache["v"])
    return self._residual_and_ffn(h_D, out_HxK.reshape(D), train=False), cache


class _SASRecNet(nn.Module):
  """Item ids (B, L), right-padded with 0, to hidden states (B, L, D)."""
  cfg: "SASRec"

  def setup(self):
    cfg = self.cfg
    if cfg.dim % cfg.num_heads:
      raise ValueError(f"model.dim={cfg.dim} is not divisible by model.num_heads={cfg.num_heads}")
    # Rows past num_items are the subclass's special tokens (CL4SRec's [mask]): embedded on
    # input, never scored.
    self.item_embed = self.param("item_embed", _init,
                                 (cfg.num_items + 1 + cfg.num_special_tokens, cfg.dim))
    self.pos_embed = self.param("pos_embed", _init, (cfg.max_len, cfg.dim))
    self.ln_in = nn.LayerNorm(epsilon=1e-12) if cfg.input_norm else (lambda x: x)
    self.drop_in = ScaledDropout(cfg.dropout)
    self.blocks = [_Block(cfg, name=f"block_{i}") for i in range(cfg.num_layers)]

  def __call__(self, items_BxL, train: bool = False, drop_scale=None):
    L = items_BxL.shape[1]
    if L > self.cfg.max_len:
      raise ValueError(f"sequence length {L} exceeds model.max_len={self.cfg.max_len}")
    h_BxLxD = self.item_embed[items_BxL] + self.pos_embed[:L][None]
    h_BxLxD = self.drop_in(self.ln_in(h_BxLxD), not train, drop_scale)
    for block in self.blocks:
      h_BxLxD = block(h_BxLxD, train, drop_scale)
    return h_BxLxD

  def decode(self, item, pos, cache):
    """Hidden state (D,) after appending `item` at position `pos` of one sequence whose
    earlier positions are in `cache` (a list, one {"k", "v"} per block); returns the
    updated cache too."""
    h_D = self.ln_in(self.item_embed[item] + self.pos_embed[pos])
    new_cache = []
    for block, layer_cache in zip(self.blocks, cache):
      h_D, layer_cache = block.decode(h_D, layer_cache, pos)
      new_cache.append(layer_cache)
    return h_D, new_cache


@dataclasses.dataclass(frozen=True)
class SASRec(FlaxBackbone):
  """SASRec's static settings (hashable: a jit static argument) and its pure functions."""
  num_items: int
  dim: int = 64
  num_layers: int = 2
  num_heads: int = 2
  ffn_mult: int = 4
  dropout: float = 0.5
  attn_dropout: float = 0.5
  max_len: int = 50
  input_norm: bool = True
  ffn_dropout: bool = False
  num_special_tokens = 0  # input-only ids after the items (CL4SRec: its [mask])

  def network(self) -> nn.Module:
    """The Flax module of these settings."""
    return _SASRecNet(self)

  def empty_cache(self, length: int | None = None):
    """Key/value cache of one sequence: per block {"k", "v"} of zeros for length (default
    max_len) positions (models/base.py kv_cache)."""
    return kv_cache(self.num_layers, length or self.max_len, self.num_heads, self.dim)

  def activation_floats(self, rows: int, length: int) -> int:
    """Per block, about 8 + 2 * ffn_mult vectors of D per position (norms, projections,
    residuals, the feed-forward's inner width) and 3 attention maps per head."""
    per_block = (rows * length * self.dim * (8 + 2 * self.ffn_mult)
                 + 3 * rows * self.num_heads * length * length)
    return self.num_layers * per_block

  def item_table(self, params):
    """The (num_items + 1, D) item embedding table (shared by input and output), row 0 being
    padding."""
    if self.num_special_tokens:
      return params["item_embed"][:self.num_items + 1]
    return params["item_embed"]
