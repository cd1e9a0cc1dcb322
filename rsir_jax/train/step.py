"""The optimizer, the schedules (learning rate, dropout warmup) and the jitted train step: one
pure function over an explicit state pytree.

State = {"params", "opt_state", "step"}. The step's PRNG key is `fold_in(base_key, step)`, so
dropout and negatives depend only on the seed and the global step: a resumed run draws exactly
the numbers an uninterrupted one would. The schedules are host-side functions of the epoch
(fractional, so they do not depend on how many batches an epoch has, which grows with RSIR's
data; every round's training starts them again); the step takes their values as arguments:
one scales Adam's update, the other the model's dropout rates.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rsir_jax import parallel
from rsir_jax.models import Backbone
from rsir_jax.train import losses
from rsir_jax.train.batching import TrainBatch


def make_optimizer(lr: float, weight_decay: float = 0.0, grad_clip: float = 0.0):
  """Adam; decoupled weight decay (AdamW) only when weight_decay > 0; optional global-norm
  gradient clipping when grad_clip > 0."""
  opt = optax.adamw(lr, weight_decay=weight_decay) if weight_decay > 0 else optax.adam(lr)
  if grad_clip > 0:
    opt = optax.chain(optax.clip_by_global_norm(grad_clip), opt)
  return opt


SCHEDULES = ("constant", "cosine", "linear")
RNGS = ("threefry", "rbg")  # PRNG implementations of the training stream (train.rng)


def lr_scale(epoch: float, schedule: str = "constant", warmup_epochs: float = 0.0,
             total_epochs: float = 1.0) -> float:
  """The learning rate's multiplier at (fractional) `epoch`: a linear warmup from 1% over
  `warmup_epochs`, then 1 (constant) or a cosine / linear decay that reaches 0 at
  `total_epochs` (the run's max_epochs)."""
  if schedule not in SCHEDULES:
    raise ValueError(f"train.lr_schedule={schedule!r} is not one of {SCHEDULES}")
  if epoch < warmup_epochs:
    return max(epoch / warmup_epochs, 0.01)  # from 1%: the first step still moves
  if schedule == "constant":
    return 1.0
  done = min(max((epoch - warmup_epochs) / max(total_epochs - warmup_epochs, 1e-9), 0.0), 1.0)
  return 0.5 * (1.0 + math.cos(math.pi * done)) if schedule == "cosine" else 1.0 - done


def dropout_scale(epoch: float, warmup_epochs: float = 0.0) -> float:
  """The dropout rates' multiplier at (fractional) `epoch`: rising linearly from 0 to 1 over
  `warmup_epochs` (a model that underfits learns faster without dropout; the full rates
  regularise once it could overfit), then 1; always 1 when warmup_epochs is 0."""
  return min(epoch / warmup_epochs, 1.0) if warmup_epochs > 0 else 1.0


def init_state(model: Backbone, optimizer, key: jax.Array, params=None) -> dict:
  """Fresh training state: `params` (copied, since the state gets donated) or a fresh
  initialisation from `key`, a fresh optimizer state and step 0."""
  params = model.init(key) if params is None else jax.tree_util.tree_map(jnp.copy, params)
  return {"params": params, "opt_state": optimizer.init(params),
          "step": jnp.zeros((), jnp.int32)}


def make_train_step(model: Backbone, optimizer, loss: str, num_negatives: int = 256,
                    mesh=None, negatives: str = "shared", dropout_warmup: bool = False,
                    row_chunk: int = 32, pool_size: int = 2048):
  """Returns jitted `step(state, batch, base_key, norm=0, scale=1, dropout_scale=1) -> (state,
  loss)` for a TrainBatch; `scale` multiplies the optimizer's update (the learning-rate
  schedule's value, lr_scale()); with `dropout_warmup`, `dropout_scale` multiplies the model's
  dropout rates (dropout_scale()). `step.many` runs several steps in one call (see
  `_many_steps`).

  `loss` is the mean over the batch's targets (the next-item loss alone: a backbone's
  auxiliary loss, see models/base.py, is added to the objective but not reported). The
  gradient is that of the mean when norm = 0, and of (sum over the batch's targets) / norm
  otherwise: with norm = the average number of targets per batch, every target weighs the
  same whatever its batch (length buckets make batches of long sequences hold many more
  targets than batches of short ones).
  The state argument is donated (updated in place). For prefix rows (`batch.last_only`, a
  static part of the batch) the loss scores each row's last position alone, so a
  full-softmax step costs one row of logits per row. With a `mesh` (see parallel.py) the
  state is replicated and the batch split over its devices. `negatives` (losses.NEGATIVES)
  chooses the sampled-softmax negatives; `row_chunk` how "row" and "row_from_pool" ones
  are computed (positions per loop step; 0 = all positions at once), `pool_size` the pool
  of "row_from_pool" (pool_negatives.py).
  """
  if loss not in losses.LOSSES:
    raise ValueError(f"train.loss={loss!r} is not one of {losses.LOSSES}")

  def loss_fn(params, batch: TrainBatch, key, norm, drop_scale):
    dropout_key, negatives_key = jax.random.split(key)
    warmup = {"dropout_scale": drop_scale} if dropout_warmup else {}
    h_BxLxD = model.encode(params, batch.inputs_BxL, train=True, dropout_key=dropout_key,
                           **warmup)
    targets_BxL = batch.targets_BxL
    if batch.last_only:
      last_Bx1 = jnp.argmax(targets_BxL > 0, axis=1)[:, None]  # filler rows: 0, no target
      h_BxLxD = jnp.take_along_axis(h_BxLxD, last_Bx1[..., None], axis=1)  # L is now 1
      targets_BxL = jnp.take_along_axis(targets_BxL, last_Bx1, axis=1)
    mean = losses.next_item_loss(loss, h_BxLxD, targets_BxL, model.item_table(params),
                                 negatives_key, num_negatives, negatives,
                                 rows_BxR=batch.inputs_BxL,  # the whole row's input
                                 row_chunk=row_chunk, pool_size=pool_size, mesh=mesh)
    weight = jnp.where(norm > 0, jnp.sum(targets_BxL > 0) / jnp.maximum(norm, 1e-9), 1.0)
    objective = mean * weight
    if model.has_auxiliary_loss:  # e.g. CL4SRec's contrastive loss, on the rows' inputs
      objective += model.auxiliary_loss(params, batch.inputs_BxL, jax.random.fold_in(key, 1),
                                        **warmup)
    return objective, mean

  def step(state, batch: TrainBatch, base_key, norm, scale, drop_scale):
    key = jax.random.fold_in(base_key, state["step"])
    (_, value), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state["params"], batch, key, norm, drop_scale)
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
    # The optimizer's last transform multiplies by -lr (and AdamW's decay is in the update),
    # so scaling the update scales the learning rate; by 1.0 it is exact.
    updates = jax.tree_util.tree_map(lambda u: u * scale.astype(u.dtype), updates)
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt_state": opt_state, "step": state["step"] + 1}, value

  def many(state, batches: TrainBatch, base_key, norm, scales_K, drop_scales_K, valid_K,
           loss_sum):
    def body(carry, x):
      state, loss_sum = carry
      batch, scale, drop_scale, valid = x
      def run(state, loss_sum):
        state, value = step(state, batch, base_key, norm, scale, drop_scale)
        return state, loss_sum + value
      return jax.lax.cond(valid, run, lambda *carry: carry, state, loss_sum), None
    (state, loss_sum), _ = jax.lax.scan(body, (state, loss_sum),
                                        (batches, scales_K, drop_scales_K, valid_K))
    return state, loss_sum

  if mesh is None:
    jitted = jax.jit(step, donate_argnums=(0,))
    jitted_many = jax.jit(many, donate_argnums=(0,))
  else:
    rep, data = parallel.replicated(mesh), parallel.batch_sharded(mesh)
    jitted = jax.jit(step, in_shardings=(rep, data, rep, rep, rep, rep),
                     out_shardings=(rep, rep), donate_argnums=(0,))
    stacked = parallel.stacked_batch_sharded(mesh)
    jitted_many = jax.jit(many, in_shardings=(rep, stacked, rep, rep, rep, rep, rep, rep),
                          out_shardings=(rep, rep), donate_argnums=(0,))
  def f32(x):
    # Host values go in as numpy (a jnp.asarray here would be an eager dispatch per value
    # per call, as costly as a small step); device arrays (a replicated norm) as they are.
    return x if isinstance(x, jax.Array) else np.asarray(x, np.float32)

  def call(state, batch: TrainBatch, base_key, norm=0.0, scale=1.0, dropout_scale=1.0):
    return jitted(state, batch, base_key, f32(norm), f32(scale), f32(dropout_scale))

  def call_many(state, batches: TrainBatch, base_key, norm, scales_K, dropout_scales_K,
                valid_K, loss_sum):
    """Steps over `batches` (a TrainBatch whose arrays are stacked (K, B, L)) in one call:
    step k runs where valid_K[k] (and is skipped, leaving the state as it is, elsewhere) with
    scales_K[k] and dropout_scales_K[k]; returns (state, loss_sum + the steps' losses, added
    in order), so that K steps give bit for bit what K calls of `step` give."""
    return jitted_many(state, batches, base_key, f32(norm), f32(scales_K),
                       f32(dropout_scales_K), np.asarray(valid_K, bool), f32(loss_sum))

  call.lower = jitted.lower  # ahead-of-time lowering, e.g. for XLA's cost analysis
  call.many = call_many
  return call
