"""CL4SRec (Xie et al., 2022): SASRec trained with a contrastive objective besides next-item
prediction. Each training row's input sequence gets two views, each edited by one of crop,
mask and reorder drawn uniformly (sequence_ops.py); both views are encoded (with dropout)
and the representation of a view is its last position's hidden state. InfoNCE over the
batch (NT-Xent: each of the 2B views must pick its partner among the other 2B - 1 by dot
product / temperature) is added to the next-item loss with weight `cl_weight`.

The network, the decoding cache and the scoring are SASRec's (sasrec.py); the only new
weight is the [mask] token's embedding, an input-only row after the items. At inference
CL4SRec is a SASRec: the sampler and the evaluator use it unchanged.

Config fields (model.*): cl_weight (lambda, the paper's 0.1), cl_temperature (1.0),
cl_crop / cl_mask / cl_reorder (the rates eta, gamma, beta; 0.6 / 0.3 / 0.6, the values the
CL4SRec paper illustrates its operators with; CoSeRec's code uses 0.2 / 0.7 / 0.2).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from rsir_jax.models import sequence_ops
from rsir_jax.models.sasrec import SASRec

NUM_OPS = 3  # crop, mask, reorder


@dataclasses.dataclass(frozen=True)
class CL4SRec(SASRec):
  """SASRec plus CL4SRec's contrastive loss (a static, hashable dataclass like SASRec)."""
  cl_weight: float = 0.1
  cl_temperature: float = 1.0
  crop_rate: float = 0.6
  mask_rate: float = 0.3
  reorder_rate: float = 0.6
  num_special_tokens = 1  # [mask] = num_items + 1
  has_auxiliary_loss = True
  config_names = {"crop_rate": "cl_crop", "mask_rate": "cl_mask", "reorder_rate": "cl_reorder"}

  def activation_floats(self, rows: int, length: int) -> int:
    """SASRec's, three times: the rows and their two augmented views go through the
    encoder."""
    return 3 * super().activation_floats(rows, length)

  @property
  def mask_id(self) -> int:
    """The input id of the [mask] token."""
    return self.num_items + 1

  def _view(self, key, row_L, n):
    """One augmented view of a row: crop, mask or reorder, drawn uniformly."""
    op_key, edit_key = jax.random.split(key)
    op = jax.random.randint(op_key, (), 0, NUM_OPS)
    return jax.lax.switch(op, [
        lambda: sequence_ops.crop(edit_key, row_L, n, self.crop_rate),
        lambda: sequence_ops.mask(edit_key, row_L, n, self.mask_rate, self.mask_id),
        lambda: sequence_ops.reorder(edit_key, row_L, n, self.reorder_rate),
    ])

  def views(self, key, items_BxL):
    """Two augmented views of every row: (items (2B, L), lengths (2B,)), the first B rows
    the first views."""
    B = items_BxL.shape[0]
    n_B = jnp.sum(items_BxL > 0, axis=1).astype(jnp.int32)
    keys_2B = jax.random.split(key, 2 * B)
    rows_2BxL = jnp.concatenate([items_BxL, items_BxL])
    return jax.vmap(self._view)(keys_2B, rows_2BxL, jnp.concatenate([n_B, n_B]))

  def auxiliary_loss(self, params, items_BxL, key, dropout_scale=None):
    """cl_weight * InfoNCE between the two views of each row (rows without items, such as
    a batch's filler rows, take no part)."""
    view_key, dropout_key = jax.random.split(key)
    views_2BxL, n_2B = self.views(view_key, items_BxL)
    h_2BxLxD = self.encode(params, views_2BxL, train=True, dropout_key=dropout_key,
                           dropout_scale=dropout_scale)
    last_2B = jnp.maximum(n_2B - 1, 0)
    z_2BxD = jnp.take_along_axis(h_2BxLxD, last_2B[:, None, None], axis=1)[:, 0]
    return self.cl_weight * info_nce(z_2BxD, n_2B > 0, self.cl_temperature)


def info_nce(z_2BxD, valid_2B, temperature):
  """NT-Xent: the mean over valid views of -log softmax of the partner's similarity (rows i
  and i + B are partners) among every other valid view; similarity = dot / temperature."""
  two_b = z_2BxD.shape[0]
  sim_2Bx2B = (z_2BxD @ z_2BxD.T) / temperature
  idx = jnp.arange(two_b)
  partner_2B = (idx + two_b // 2) % two_b
  allowed_2Bx2B = valid_2B[None, :] & (idx[None, :] != idx[:, None])
  # A large finite floor, not -inf: an invalid row's terms stay finite, so the zero weight
  # they get below also zeroes their gradient (0 * inf would be NaN).
  sim_2Bx2B = jnp.where(allowed_2Bx2B, sim_2Bx2B, -1e9)
  log_p_2B = sim_2Bx2B[idx, partner_2B] - jax.nn.logsumexp(sim_2Bx2B, axis=1)
  count = jnp.maximum(jnp.sum(valid_2B), 1)
  return -jnp.sum(jnp.where(valid_2B, log_p_2B, 0.0)) / count
