"""GRU4Rec: a recurrent next-item model, as pure functions of a params pytree.

Layout and conventions (shared with SASRec, models/base.py):
  * Item ids run 1..num_items; id 0 is padding. The item embedding table has num_items + 1
    rows and is also the output table (tied), so `item_table` returns it.
  * item embedding -> dropout -> `num_layers` stacked GRU layers of width `dim` (flax
    GRUCell, scanned over time) -> dropout. Every layer starts from a zero state.
  * A recurrence is causal by construction: position t's state depends on items 0..t only.
    Sequences are right-padded, so the padding after a sequence's last real item only
    changes states that are never read; no mask is needed.
  * The decoding cache is the recurrent state of every layer after the last item, (num_layers,
    D): a fixed shape whatever the sequence length. Decoding position 0 starts from the zero
    state whatever the cache holds (the sampler hands a finished trajectory's cache to the
    next one, models/base.py).
  * Like the other backbones it keeps at most `max_len` positions: `encode` refuses longer
    inputs, so every backbone sees the same truncated sequences.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax.numpy as jnp

from rsir_jax.models.base import FlaxBackbone, ScaledDropout

_init = nn.initializers.normal(stddev=0.02)


def _cell_step(cell: nn.GRUCell, carry_BxD, x_BxD):
  """One time step of a GRU cell, in nn.scan's (carry, x) -> (carry, y) form."""
  carry_BxD, y_BxD = cell(carry_BxD, x_BxD)
  return carry_BxD, y_BxD


# The cell's parameters are shared by every time step; the time axis is axis 1 of (B, L, D).
_scan_over_time = nn.scan(_cell_step, variable_broadcast="params", split_rngs={"params": False},
                          in_axes=1, out_axes=1)


class _GRU4RecNet(nn.Module):
  """Item ids (B, L), right-padded with 0, to hidden states (B, L, D).

  `__call__` runs whole sequences; `decode` advances one sequence by one item. Both call the
  same cells, so they compute the same function.
  """
  cfg: "GRU4Rec"

  def setup(self):
    cfg = self.cfg
    self.item_embed = self.param("item_embed", _init, (cfg.num_items + 1, cfg.dim))
    self.drop_in = ScaledDropout(cfg.dropout)
    self.cells = [nn.GRUCell(features=cfg.dim, name=f"gru_{i}") for i in range(cfg.num_layers)]
    self.drop_out = ScaledDropout(cfg.dropout)

  def __call__(self, items_BxL, train: bool = False, drop_scale=None):
    B, L = items_BxL.shape
    if L > self.cfg.max_len:
      raise ValueError(f"sequence length {L} exceeds model.max_len={self.cfg.max_len}")
    h_BxLxD = self.drop_in(self.item_embed[items_BxL], not train, drop_scale)
    for cell in self.cells:
      zero_BxD = jnp.zeros((B, self.cfg.dim), h_BxLxD.dtype)
      _, h_BxLxD = _scan_over_time(cell, zero_BxD, h_BxLxD)
    return self.drop_out(h_BxLxD, not train, drop_scale)

  def decode(self, item, pos, state_NxD):
    """Hidden state (D,) after appending `item` at position `pos` of one sequence whose
    per-layer recurrent states after position pos - 1 are `state_NxD` (N = num_layers);
    returns the new states too. At pos 0 the states are taken as zero, whatever they hold."""
    state_NxD = jnp.where(pos == 0, jnp.zeros_like(state_NxD), state_NxD)
    h_D = self.item_embed[item]
    new_states = []
    for layer, cell in enumerate(self.cells):
      carry_D, h_D = cell(state_NxD[layer], h_D)
      new_states.append(carry_D)
    return h_D, jnp.stack(new_states)


@dataclasses.dataclass(frozen=True)
class GRU4Rec(FlaxBackbone):
  """GRU4Rec's static settings (hashable: a jit static argument) and its pure functions."""
  num_items: int
  dim: int = 64
  num_layers: int = 1
  dropout: float = 0.5
  max_len: int = 50

  def network(self) -> nn.Module:
    """The Flax module of these settings."""
    return _GRU4RecNet(self)

  def activation_floats(self, rows: int, length: int) -> int:
    """Per layer, about 10 vectors of D per position (the three gates' input and recurrent
    projections, the gates, the new state), plus the two dropouts around the stack. No
    attention maps: nothing grows with length squared."""
    return (10 * self.num_layers + 2) * rows * length * self.dim

  def empty_cache(self, length: int | None = None):
    """The zero recurrent state of every layer, (num_layers, D); the same for any length."""
    del length  # a recurrent state does not grow with the sequence
    return jnp.zeros((self.num_layers, self.dim))

  def item_table(self, params):
    """The (num_items + 1, D) item embedding table (shared by input and output), row 0 being
    padding."""
    return params["item_embed"]
