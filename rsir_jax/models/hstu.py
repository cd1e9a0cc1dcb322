"""HSTU: the layer of Zhai et al. 2024 ("Actions Speak Louder than Words"), as a next-item
model of pure functions of a params pytree.

One layer, on the hidden states x (every position alike):
    u, v, q, k = split(SiLU(Linear(LayerNorm(x))))              each (D,), heads of D/H
    A[t, s]    = SiLU(q_t . k_s / sqrt(D/H) + rab[t - s]) / (t + 1)   for s <= t, else 0
    y          = LayerNorm(A v) * u
    x          = x + Dropout(Linear(y))
  * No softmax: the attention weights are pointwise SiLUs, normalised by the number of
    positions position t attends (t + 1, itself included). This choice, rather than the
    number of real items of the row, makes a position's state independent of the padding
    after it and of the sequence's eventual length, which incremental decoding needs.
  * rab: a learned relative-position bias, one scalar per head per distance t - s, the
    distance clipped at max_len - 1 (the largest one that occurs in max_len positions).
  * attn_dropout drops entries of A (in training only).

Around the layers: item embedding plus a learned absolute position embedding (HSTU's
timestamps are not in our data files), dropout, `num_layers` layers, a final LayerNorm. The
output item table is the input one (tied), as in SASRec.

Item ids run 1..num_items (0 = padding); sequences are right-padded, and a real position
only attends to earlier real positions, so padding needs no key mask. Decoding caches each
layer's keys and values (models/base.py kv_cache), like SASRec; the bias needs no cache (it is a
function of the distance pos - s).
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax.numpy as jnp

from rsir_jax.models.base import FlaxBackbone, ScaledDropout, attend_cached, kv_cache

_init = nn.initializers.normal(stddev=0.02)


class _Layer(nn.Module):
  """One HSTU layer. `__call__` processes whole sequences; `decode` processes one new position
  of one sequence against cached keys and values. Both share every parameter and compute the
  same function."""
  cfg: "HSTU"

  def setup(self):
    cfg = self.cfg
    self.ln_in = nn.LayerNorm(epsilon=1e-6)
    self.uvqk = nn.Dense(4 * cfg.dim, kernel_init=_init)
    self.rab = self.param("rab", _init, (cfg.num_heads, cfg.max_len))
    self.ln_attn = nn.LayerNorm(epsilon=1e-6)
    self.out = nn.Dense(cfg.dim, kernel_init=_init)
    self.drop_attn = ScaledDropout(cfg.attn_dropout)
    self.drop_out = ScaledDropout(cfg.dropout)

  def _uvqk(self, x_xD):
    """(..., D) -> u (..., D) and v, q, k each (..., H, D/H)."""
    H, K = self.cfg.num_heads, self.cfg.dim // self.cfg.num_heads
    u_xD, v_xD, q_xD, k_xD = jnp.split(nn.silu(self.uvqk(self.ln_in(x_xD))), 4, axis=-1)
    heads = lambda a: a.reshape(a.shape[:-1] + (H, K))
    return u_xD, heads(v_xD), heads(q_xD), heads(k_xD)

  def _bias(self, dist):
    """Relative-position bias (H, *dist.shape) of distances t - s (clipped to 0..max_len-1;
    negative ones, the future, are masked by the caller)."""
    return self.rab[:, jnp.clip(dist, 0, self.cfg.max_len - 1)]

  def _output(self, x_xD, av_xD, u_xD, train: bool, drop_scale=None):
    """y = LayerNorm(A v) * u, projected, dropped out and added to the residual stream."""
    y_xD = self.ln_attn(av_xD) * u_xD
    return x_xD + self.drop_out(self.out(y_xD), not train, drop_scale)

  def __call__(self, x_BxLxD, train: bool, drop_scale=None):
    B, L, D = x_BxLxD.shape
    u_BxLxD, v_BxLxHxK, q_BxLxHxK, k_BxLxHxK = self._uvqk(x_BxLxD)
    t_L = jnp.arange(L)
    dist_LxL = t_L[:, None] - t_L[None, :]
    logits_BxHxLxL = jnp.einsum("bthk,bshk->bhts", q_BxLxHxK, k_BxLxHxK)
    logits_BxHxLxL = logits_BxHxLxL / jnp.sqrt(D // self.cfg.num_heads) + self._bias(dist_LxL)
    causal_LxL = dist_LxL >= 0
    attn_BxHxLxL = jnp.where(causal_LxL, nn.silu(logits_BxHxLxL), 0.0) / (t_L[:, None] + 1)
    attn_BxHxLxL = self.drop_attn(attn_BxHxLxL, not train, drop_scale)
    av_BxLxHxK = jnp.einsum("bhts,bshk->bthk", attn_BxHxLxL, v_BxLxHxK)
    return self._output(x_BxLxD, av_BxLxHxK.reshape(B, L, D), u_BxLxD, train, drop_scale)

  def decode(self, x_D, cache, pos):
    """One position `pos` of one sequence (inference): writes its key and value into `cache`
    (models/base.py kv_cache) and attends over positions 0..pos."""
    D = x_D.shape[-1]
    u_D, v_HxK, q_HxK, k_HxK = self._uvqk(x_D)
    logits_HxT, cache = attend_cached(q_HxK, k_HxK, v_HxK, cache, pos)
    dist_T = pos - jnp.arange(logits_HxT.shape[1])
    logits_HxT = logits_HxT / jnp.sqrt(D // self.cfg.num_heads) + self._bias(dist_T)
    attn_HxT = jnp.where(dist_T >= 0, nn.silu(logits_HxT), 0.0) / (pos + 1)
    av_HxK = jnp.einsum("ht,htk->hk", attn_HxT, cache["v"])
    return self._output(x_D, av_HxK.reshape(D), u_D, train=False), cache


class _HSTUNet(nn.Module):
  """Item ids (B, L), right-padded with 0, to hidden states (B, L, D)."""
  cfg: "HSTU"

  def setup(self):
    cfg = self.cfg
    if cfg.dim % cfg.num_heads:
      raise ValueError(f"model.dim={cfg.dim} is not divisible by model.num_heads={cfg.num_heads}")
    self.item_embed = self.param("item_embed", _init, (cfg.num_items + 1, cfg.dim))
    self.pos_embed = self.param("pos_embed", _init, (cfg.max_len, cfg.dim))
    self.drop_in = ScaledDropout(cfg.dropout)
    self.layers = [_Layer(cfg, name=f"layer_{i}") for i in range(cfg.num_layers)]
    self.ln_out = nn.LayerNorm(epsilon=1e-6)

  def __call__(self, items_BxL, train: bool = False, drop_scale=None):
    L = items_BxL.shape[1]
    if L > self.cfg.max_len:
      raise ValueError(f"sequence length {L} exceeds model.max_len={self.cfg.max_len}")
    x_BxLxD = self.item_embed[items_BxL] + self.pos_embed[:L][None]
    x_BxLxD = self.drop_in(x_BxLxD, not train, drop_scale)
    for layer in self.layers:
      x_BxLxD = layer(x_BxLxD, train, drop_scale)
    return self.ln_out(x_BxLxD)

  def decode(self, item, pos, cache):
    """Hidden state (D,) after appending `item` at position `pos` of one sequence whose
    earlier positions are in `cache` (a list, one {"k", "v"} per layer); returns the
    updated cache too."""
    x_D = self.item_embed[item] + self.pos_embed[pos]
    new_cache = []
    for layer, layer_cache in zip(self.layers, cache):
      x_D, layer_cache = layer.decode(x_D, layer_cache, pos)
      new_cache.append(layer_cache)
    return self.ln_out(x_D), new_cache


@dataclasses.dataclass(frozen=True)
class HSTU(FlaxBackbone):
  """HSTU's static settings (hashable: a jit static argument) and its pure functions."""
  num_items: int
  dim: int = 64
  num_layers: int = 2
  num_heads: int = 2
  dropout: float = 0.5
  attn_dropout: float = 0.5
  max_len: int = 50

  def network(self) -> nn.Module:
    """The Flax module of these settings."""
    return _HSTUNet(self)

  def activation_floats(self, rows: int, length: int) -> int:
    """Per layer, about 14 vectors of D per position (the norms, u v q k before and after
    SiLU, the gated output, the residual) and 4 attention maps per head (logits plus bias,
    SiLU, length normalisation, dropout)."""
    per_layer = (14 * rows * length * self.dim
                 + 4 * rows * self.num_heads * length * length)
    return self.num_layers * per_layer

  def empty_cache(self, length: int | None = None):
    """Key/value cache of one sequence: per layer {"k", "v"} of zeros for length (default
    max_len) positions (models/base.py kv_cache)."""
    return kv_cache(self.num_layers, length or self.max_len, self.num_heads, self.dim)

  def item_table(self, params):
    """The (num_items + 1, D) item embedding table (shared by input and output), row 0 being
    padding."""
    return params["item_embed"]
