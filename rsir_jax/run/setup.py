"""A run's setup, resolved once from its config before any compute: the backbone and sampler
settings, the RSIR rounds' policy, the device mesh, the optimizer and the compiled train step, the
evaluation batches, the named PRNG streams and the file writer. Nothing in it changes from round
to round, so nothing in it is rebuilt per round; the round loop and the trainer only read it.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import ml_collections
from jax.sharding import Mesh

from rsir_jax import models, parallel
from rsir_jax.data.split import LeaveOneOutSplit
from rsir_jax.files import Writer
from rsir_jax.generate.policy import LoopPlan, RoundPolicy
from rsir_jax.generate.sampler import SamplerConfig
from rsir_jax.run import check as config_check
from rsir_jax.train import batching
from rsir_jax.train import step as train_step


@dataclasses.dataclass(frozen=True)
class Keys:
  """The run's PRNG streams, all from config.seed (derived as in earlier versions, so earlier
  results reproduce):
    init      parameter initialisation;
    train     dropout and negatives, folded with the global step (replicated on the mesh);
    generate  trajectories, folded with the round, then with the trajectory's index.
  """
  init: jax.Array
  train: jax.Array
  generate: jax.Array

  @classmethod
  def from_seed(cls, seed: int, mesh: Mesh, train_rng: str = "threefry") -> "Keys":
    """The streams of `seed`, the training one placed on every device of `mesh` and drawn
    with the PRNG `train_rng` (train.rng; the others stay threefry)."""
    root = jax.random.key(seed)
    init, train = jax.random.split(root)
    if train_rng != "threefry":
      train = jax.random.fold_in(jax.random.key(seed, impl=train_rng), 1)
    return cls(init=init, train=parallel.replicate(mesh, train), generate=root)


@dataclasses.dataclass(frozen=True)
class Setup:
  """Everything a run computes with (see the module docstring): `policy` and `loop` are the
  RSIR rounds' choices (generate/policy.py); `separate_generator` is the setup of a separate
  generator model (weak-to-strong: the same setup with a smaller backbone), or None when
  the learner generates."""
  config: ml_collections.FrozenConfigDict
  model: models.Backbone
  sampling: SamplerConfig
  mesh: Mesh
  optimizer: object
  train_step: Callable
  eval_batches: dict
  keys: Keys
  writer: Writer
  policy: RoundPolicy
  loop: LoopPlan
  separate_generator: "Setup | None" = None


def sampler_config(config: ml_collections.ConfigDict) -> SamplerConfig:
  """The sampler settings of `config.rsir`."""
  r = config.rsir
  return SamplerConfig(max_len=r.max_len or config.model.max_len, tau=r.tau,
                       p_exploit=float(r.p), fidelity=r.fidelity, drop_failed=r.drop_failed,
                       choice=r.choice, temperature=float(r.temperature), top_k=r.top_k,
                       start=r.start)


def row_chunk(negatives_chunk: int, mesh: Mesh, negatives: str = "row") -> int:
  """train.negatives_chunk resolved for the mesh's devices: -1 is, on a CPU, 32 positions
  per loop step for `row` negatives (whose gathers run at memory speed unless they stay in
  cache) and 128 for `row_from_pool` (a (128, pool) score block: big enough for a fast
  product, small enough for the cache); 0, every position at once, on a GPU or TPU (where a
  loop of small steps would be launch-bound)."""
  if negatives_chunk >= 0:
    return negatives_chunk
  if mesh.devices.flat[0].platform != "cpu":
    return 0
  return 128 if negatives == "row_from_pool" else 32


# rsir.slots = -1: trajectories in flight per generation step on a CPU (each step's (slots,
# items) scores then stay in cache: 12,000 trajectories/s on Beauty at 32 against 6,800 at
# 256, docs/results.md) and on a GPU or TPU (which wants many, within one chunk).
CPU_SLOTS, ACCELERATOR_SLOTS = 32, 4096


def generation_slots(slots: int, mesh: Mesh) -> int:
  """rsir.slots resolved for the mesh's devices (-1: CPU_SLOTS or ACCELERATOR_SLOTS)."""
  if slots >= 0:
    return slots
  return CPU_SLOTS if mesh.devices.flat[0].platform == "cpu" else ACCELERATOR_SLOTS


def _generator_model(config: ml_collections.ConfigDict, num_items: int):
  """The backbone of a separate generator (weak-to-strong), or None."""
  r = config.rsir
  if not (r.generator_dim or r.generator_layers):
    return None
  g = ml_collections.ConfigDict(config.model.to_dict())
  g.dim = r.generator_dim or config.model.dim
  g.num_layers = r.generator_layers or config.model.num_layers
  return models.build(g, num_items)


def resolve(config: ml_collections.ConfigDict, split: LeaveOneOutSplit) -> Setup:
  """The setup of a validated `config` on `split`. Raises ConfigError for sizes the devices
  cannot take (before anything is compiled or written)."""
  num_items = split.num_items
  mesh = parallel.make_mesh(config.parallel.num_devices)
  config_check.check_sizes(config, num_items, mesh)
  if config.rsir.rounds and config.rsir.tau > num_items:
    raise config_check.ConfigError(f"config.rsir.tau={config.rsir.tau}: exceeds the number "
                                   f"of items ({num_items})")
  t, e, buckets = config.train, config.eval, config.data.bucket_lengths
  if t.loss == "sampled" and t.negatives in ("row", "row_pool", "row_from_pool"):
    outside = num_items - config.model.max_len  # the fewest items a row can leave outside
    if t.num_negatives > outside:
      raise config_check.ConfigError(
          f"config.train.num_negatives={t.num_negatives}: more than the {max(outside, 0)} "
          f"items a row of model.max_len={config.model.max_len} can leave outside it "
          f"({num_items} items; train.negatives={t.negatives!r})")
  optimizer = train_step.make_optimizer(t.lr, t.weight_decay, t.grad_clip)
  model = models.build(config.model, num_items)
  make_step = lambda m: train_step.make_train_step(m, optimizer, t.loss, t.num_negatives, mesh,
                                                   t.negatives, t.dropout_warmup_epochs > 0,
                                                   row_chunk(t.negatives_chunk, mesh, t.negatives),
                                                   t.negatives_pool)
  eval_batches = {
      "valid": batching.make_eval_batches(split.valid_inputs, split.valid_targets,
                                          model.max_len, buckets, e.batch_size),
      "test": batching.make_eval_batches(split.test_inputs, split.test_targets,
                                         model.max_len, buckets, e.batch_size)}
  setup = Setup(config=ml_collections.FrozenConfigDict(config), model=model,
                sampling=sampler_config(config), mesh=mesh, optimizer=optimizer,
                train_step=make_step(model), eval_batches=eval_batches,
                keys=Keys.from_seed(config.seed, mesh, t.rng), writer=Writer(parallel.is_primary()),
                policy=RoundPolicy.from_config(config.rsir, num_items),
                loop=LoopPlan.from_config(config))
  generator = _generator_model(config, num_items)
  if generator is not None:
    setup = dataclasses.replace(setup, separate_generator=dataclasses.replace(
        setup, model=generator, train_step=make_step(generator)))
  return setup


def round_setup(setup: Setup, k: int) -> Setup:
  """The setup round k trains with: with rsir.reseed_rounds, from round 1 on, the run's
  initialisation and training keys folded with k (a model as independent of the earlier
  rounds' as another seed's); otherwise the run's own keys (every round starts from the same
  initialisation and draws the same dropout and negatives per step: paired rounds)."""
  if not setup.loop.reseed_rounds or k == 0:
    return setup
  keys = setup.keys
  return dataclasses.replace(setup, keys=dataclasses.replace(
      keys, init=jax.random.fold_in(keys.init, k),
      train=parallel.replicate(setup.mesh, jax.random.fold_in(keys.train, k))))
