"""The optimizer and the jitted train step: one pure function over an explicit state pytree.

State = {"params", "opt_state", "step"}. The step's PRNG key is `fold_in(base_key, step)`, so
dropout and negatives depend only on the seed and the global step: a resumed run draws exactly
the numbers an uninterrupted one would.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from rsir_jax import losses, model, parallel


def make_optimizer(lr: float, weight_decay: float = 0.0, grad_clip: float = 0.0):
  """Adam; decoupled weight decay (AdamW) only when weight_decay > 0; optional global-norm
  gradient clipping when grad_clip > 0."""
  opt = optax.adamw(lr, weight_decay=weight_decay) if weight_decay > 0 else optax.adam(lr)
  if grad_clip > 0:
    opt = optax.chain(optax.clip_by_global_norm(grad_clip), opt)
  return opt


def init_state(cfg: model.SASRecConfig, optimizer, key: jax.Array) -> dict:
  """Fresh training state for model `cfg`."""
  params = model.init_params(cfg, key)
  return {"params": params, "opt_state": optimizer.init(params),
          "step": jnp.zeros((), jnp.int32)}


@functools.lru_cache(maxsize=None)
def make_train_step(cfg: model.SASRecConfig, loss: str, num_negatives: int, lr: float,
                    weight_decay: float = 0.0, grad_clip: float = 0.0,
                    one_target_per_row: bool = False, mesh=None):
  """Returns jitted `step(state, inputs_BxL, targets_BxL, base_key, norm) -> (state, loss)`.

  `loss` is the mean over the batch's targets. The gradient is that of the mean when
  norm = 0, and of (sum over the batch's targets) / norm otherwise: with norm = the average
  number of targets per batch, every target weighs the same whatever its batch (length
  buckets make batches of long sequences hold many more targets than batches of short ones).
  The state argument is donated (updated in place). Cached on its (hashable) arguments so
  that every caller with the same settings shares one compiled function per batch shape.
  With `one_target_per_row` (prefix rows: each row's only target is at its last position) the
  loss scores that position alone, so a full-softmax step costs one row of logits per row.
  With a `mesh` (see parallel.py) the state is replicated and the batch split over its
  devices; call it then with all five arguments.
  """
  if loss not in losses.LOSSES:
    raise ValueError(f"train.loss={loss!r} is not one of {losses.LOSSES}")
  optimizer = make_optimizer(lr, weight_decay, grad_clip)

  def loss_fn(params, inputs_BxL, targets_BxL, key, norm):
    dropout_key, negatives_key = jax.random.split(key)
    h_BxLxD = model.encode(cfg, params, inputs_BxL, train=True, dropout_key=dropout_key)
    if one_target_per_row:
      last_Bx1 = jnp.argmax(targets_BxL > 0, axis=1)[:, None]  # filler rows: 0, no target
      h_BxLxD = jnp.take_along_axis(h_BxLxD, last_Bx1[..., None], axis=1)  # L is now 1
      targets_BxL = jnp.take_along_axis(targets_BxL, last_Bx1, axis=1)
    mean = losses.next_item_loss(loss, h_BxLxD, targets_BxL, model.item_table(params),
                                 negatives_key, num_negatives)
    weight = jnp.where(norm > 0, jnp.sum(targets_BxL > 0) / jnp.maximum(norm, 1e-9), 1.0)
    return mean * weight, mean

  def step(state, inputs_BxL, targets_BxL, base_key, norm=0.0):
    key = jax.random.fold_in(base_key, state["step"])
    (_, value), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state["params"], inputs_BxL, targets_BxL, key, jnp.asarray(norm, jnp.float32))
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt_state": opt_state, "step": state["step"] + 1}, value

  if mesh is None:
    return jax.jit(step, donate_argnums=(0,))
  rep, data = parallel.replicated(mesh), parallel.batch_sharded(mesh)
  return jax.jit(step, in_shardings=(rep, data, data, rep, rep), out_shardings=(rep, rep),
                 donate_argnums=(0,))
