"""Checks a config before any compute, with errors that name the offending field: `validate`
(the fields alone) and `check_sizes` (batch sizes against the devices and their memory, once
the data's catalogue size is known)."""

from __future__ import annotations

import dataclasses
import math
import os

import jax
import ml_collections

from rsir_jax import models
from rsir_jax.config import paths
from rsir_jax.data.download import DATASETS
from rsir_jax.errors import ConfigError
from rsir_jax.generate import tau_schedule
from rsir_jax.generate.generators import REGISTRY as GENERATORS
from rsir_jax.generate.selection import SELECT
from rsir_jax.train.losses import LOSSES, NEGATIVES
from rsir_jax.train.step import RNGS, SCHEDULES

FORMATS = ("auto", "seq", "pairs")


def _require(ok: bool, field: str, value, why: str) -> None:
  if not ok:
    raise ConfigError(f"config.{field}={value!r}: {why}")


def _positive_int(c, field: str) -> None:
  value = paths.get(c, field)
  _require(isinstance(value, int) and not isinstance(value, bool) and value > 0, field, value,
           "must be a positive integer")


def _non_negative(c, field: str) -> None:
  value = paths.get(c, field)
  _require(isinstance(value, (int, float)) and value >= 0, field, value, "must be >= 0")


def _has_heads(name: str) -> bool:
  """Whether backbone `name` (a known one) splits its width into model.num_heads heads."""
  return "num_heads" in {f.name for f in dataclasses.fields(models.BACKBONES[name])}


def validate(c: ml_collections.ConfigDict) -> None:
  """Raises ConfigError for the first invalid field of `c`."""
  d, m, t, e = c.data, c.model, c.train, c.eval
  _require(isinstance(c.seed, int) and c.seed >= 0, "seed", c.seed, "must be an integer >= 0")
  _require(bool(d.name) != bool(d.path), "data.name", d.name,
           "set exactly one of data.name (a named benchmark) and data.path (your own file)")
  if d.name:
    _require(d.name in DATASETS, "data.name", d.name, f"unknown dataset; known: {sorted(DATASETS)}")
  _require(d.format in FORMATS, "data.format", d.format, f"must be one of {FORMATS}")
  _require(all(isinstance(b, int) and b > 0 for b in d.bucket_lengths), "data.bucket_lengths",
           d.bucket_lengths, "must be positive integers")
  _require(m.name in models.BACKBONES, "model.name", m.name,
           f"unknown backbone; known: {sorted(models.BACKBONES)}")
  for field in ("model.dim", "model.num_layers", "model.num_heads", "model.ffn_mult",
                "model.max_len", "train.batch_size", "train.max_epochs", "train.patience",
                "eval.batch_size"):
    _positive_int(c, field)
  _require(m.max_len >= 2, "model.max_len", m.max_len,
           "must be at least 2 (an input item and the item it predicts)")
  if _has_heads(m.name):
    _require(m.dim % m.num_heads == 0, "model.num_heads", m.num_heads,
             f"must divide model.dim={m.dim}")
  for field in ("model.dropout", "model.attn_dropout"):
    value = paths.get(c, field)
    _require(0.0 <= value < 1.0, field, value, "must be in [0, 1)")
  for field in ("model.cl_crop", "model.cl_mask", "model.cl_reorder"):
    value = paths.get(c, field)
    _require(0.0 <= value <= 1.0, field, value, "must be in [0, 1]")
  _require(m.cl_temperature > 0, "model.cl_temperature", m.cl_temperature, "must be > 0")
  _non_negative(c, "model.cl_weight")
  _require(t.loss in LOSSES, "train.loss", t.loss, f"unknown loss; use one of {LOSSES}")
  _positive_int(c, "train.num_negatives")
  _require(t.negatives in NEGATIVES, "train.negatives", t.negatives, f"must be one of {NEGATIVES}")
  _require(isinstance(t.negatives_chunk, int) and t.negatives_chunk >= -1,
           "train.negatives_chunk", t.negatives_chunk,
           "must be an integer >= -1 (-1: by device, 0: all positions at once)")
  _positive_int(c, "train.steps_per_call")
  _positive_int(c, "train.negatives_pool")
  for field in ("model.input_norm", "model.ffn_dropout"):
    _require(isinstance(paths.get(c, field), bool), field, paths.get(c, field),
             "must be True or False")
  _require(t.loss_norm in ("batch_mean", "per_target"), "train.loss_norm", t.loss_norm,
           "must be 'batch_mean' or 'per_target'")
  _require(isinstance(t.prefix_rows, bool), "train.prefix_rows", t.prefix_rows,
           "must be True or False")
  _require(t.lr > 0, "train.lr", t.lr, "must be > 0")
  _require(t.lr_schedule in SCHEDULES, "train.lr_schedule", t.lr_schedule,
           f"must be one of {SCHEDULES}")
  _require(t.rng in RNGS, "train.rng", t.rng, f"must be one of {RNGS}")
  _require(0 < t.lr_decay_factor <= 1, "train.lr_decay_factor", t.lr_decay_factor,
           "must be in (0, 1]")
  _require(not t.dropout_warmup_epochs or models.BACKBONES[m.name].supports_dropout_scale,
           "train.dropout_warmup_epochs", t.dropout_warmup_epochs,
           f"model.name={m.name!r} has no dropout schedule; use 0")
  for field in ("train.weight_decay", "train.grad_clip", "train.log_every_steps",
                "train.checkpoint_every_steps", "train.stop_after_steps", "train.warmup_epochs",
                "train.dropout_warmup_epochs", "train.lr_decay_patience"):
    _non_negative(c, field)
  _require(len(e.ks) > 0 and all(isinstance(k, int) and k > 0 for k in e.ks), "eval.ks", e.ks,
           "must be positive integers")
  _require(20 in e.ks, "eval.ks", e.ks, "must include 20 (early stopping uses NDCG@20)")
  _require(isinstance(e.ensemble_rounds, int) and e.ensemble_rounds >= 0
           and e.ensemble_rounds != 1, "eval.ensemble_rounds", e.ensemble_rounds,
           "must be 0 (off) or an integer >= 2 (the rounds whose models are averaged)")
  _require(isinstance(c.parallel.num_devices, int) and c.parallel.num_devices >= 0,
           "parallel.num_devices", c.parallel.num_devices, "must be an integer >= 0")
  _require(isinstance(c.parallel.distributed, bool), "parallel.distributed",
           c.parallel.distributed, "must be True or False")
  _require(isinstance(c.parallel.num_processes, int) and c.parallel.num_processes >= 0,
           "parallel.num_processes", c.parallel.num_processes, "must be an integer >= 0")
  _require(isinstance(c.parallel.process_id, int) and c.parallel.process_id >= -1,
           "parallel.process_id", c.parallel.process_id, "must be an integer >= -1")
  _validate_rsir(c)


def _validate_rsir(c: ml_collections.ConfigDict) -> None:
  r = c.rsir
  for field in ("rsir.rounds", "rsir.max_len", "rsir.generator_dim", "rsir.generator_layers",
                "rsir.top_k"):
    _require(isinstance(paths.get(c, field), int) and paths.get(c, field) >= 0, field,
             paths.get(c, field), "must be an integer >= 0")
  _require(isinstance(r.slots, int) and r.slots >= -1, "rsir.slots", r.slots,
           "must be an integer >= -1 (-1: by device, 0: a whole chunk at once)")
  for field in ("rsir.m", "rsir.tau", "rsir.min_len", "rsir.chunk_size"):
    _positive_int(c, field)
  _require(0.0 <= r.p <= 1.0, "rsir.p", r.p, "must be in [0, 1]")
  _require(r.temperature > 0, "rsir.temperature", r.temperature, "must be > 0")
  _require(r.start in ("first", "prefix"), "rsir.start", r.start, "must be 'first' or 'prefix'")
  _require(r.choice in ("greedy", "sample"), "rsir.choice", r.choice,
           "must be 'greedy' or 'sample'")
  _require(r.sources in ("all", "real"), "rsir.sources", r.sources, "must be 'all' or 'real'")
  _require(r.dedup in ("all", "new"), "rsir.dedup", r.dedup, "must be 'all' or 'new'")
  _require(r.targets in ("row", "input"), "rsir.targets", r.targets, "must be 'row' or 'input'")
  _require(isinstance(r.round0_dir, str), "rsir.round0_dir", r.round0_dir, "must be a path")
  _require(r.generator in GENERATORS, "rsir.generator", r.generator,
           f"must be one of {tuple(GENERATORS)}")
  for field in ("rsir.reorder_rate", "rsir.insert_rate", "rsir.crop_rate"):
    value = paths.get(c, field)
    _require(0.0 <= value <= 1.0, field, value, "must be in [0, 1]")
  _require(isinstance(r.match_rows, bool), "rsir.match_rows", r.match_rows,
           "must be True or False")
  _require(not r.match_rows or r.round0_dir, "rsir.match_rows", r.match_rows,
           "needs rsir.round0_dir (the run whose numbers of new rows are matched)")
  _require(r.match_by in ("rows", "interactions"), "rsir.match_by", r.match_by,
           "must be 'rows' or 'interactions'")
  _require(isinstance(r.cap, int) and r.cap >= 0, "rsir.cap", r.cap,
           "must be an integer >= 0 (0: no cap)")
  try:
    tau_schedule.parse(r.tau_schedule)
  except tau_schedule.ScheduleError as e:
    raise ConfigError(str(e)) from None
  _require(not r.generate_ensemble or c.eval.ensemble_rounds >= 2, "rsir.generate_ensemble",
           r.generate_ensemble, "needs eval.ensemble_rounds >= 2 (the rounds it averages)")
  _require(not (r.generate_ensemble and (r.generator_dim or r.generator_layers)),
           "rsir.generate_ensemble", r.generate_ensemble,
           "and a separate generator model (rsir.generator_dim / generator_layers) exclude "
           "each other")
  _require(r.select in SELECT, "rsir.select", r.select, f"must be one of {SELECT}")
  _require(isinstance(r.select_draws, int) and r.select_draws >= 2, "rsir.select_draws",
           r.select_draws, "must be an integer >= 2 (dropout draws whose variance is taken)")
  _require(r.generator == "rsir" or not (r.generator_dim or r.generator_layers),
           "rsir.generator", r.generator,
           "a separate generator model (rsir.generator_dim / generator_layers) is RSIR's only")
  _non_negative(c, "rsir.max_rows_factor")
  _require(not r.generate_only or r.rounds > 0, "rsir.generate_only", r.generate_only,
           "needs rsir.rounds >= 1 (the rounds whose data is generated)")
  _require(r.max_len <= c.model.max_len, "rsir.max_len", r.max_len,
           f"must not exceed model.max_len={c.model.max_len}")
  if r.generator_dim and _has_heads(c.model.name):
    heads = c.model.num_heads
    _require(r.generator_dim % heads == 0, "rsir.generator_dim", r.generator_dim,
             f"must be divisible by model.num_heads={heads}")


def device_memory_bytes(device) -> int:
  """Memory of one device: what the accelerator reports, or the host's RAM for a CPU."""
  stats = device.memory_stats() if device.platform != "cpu" else None
  if stats and stats.get("bytes_limit"):
    return int(stats["bytes_limit"])
  return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _peak_bytes(c: ml_collections.ConfigDict, num_items: int, num_devices: int) -> dict:
  """Rough peak float32 bytes per device of the largest array groups of each kind of step,
  by the field that sizes them: enough to tell a workable setting from an impossible one.
  The backbone gives its own activation count and decoding cache."""
  m, t, r = c.model, c.train, c.rsir
  V, L, D = num_items + 1, m.max_len, m.dim
  model = models.build(m, num_items)
  rows = -(-t.batch_size // num_devices)
  scored = rows if t.prefix_rows else rows * L  # positions with a loss
  per_target = {"ce": V, "sampled": t.num_negatives + 1, "bce": 2}[t.loss]
  if t.loss == "sampled" and t.negatives == "row":  # each position gathers its own embeddings
    per_target *= D + 1
  if t.loss == "sampled" and t.negatives == "row_from_pool":  # each position scores the pool
    per_target += t.negatives_pool
  sizes = {"train.batch_size": 4 * (3 * scored * per_target + model.activation_floats(rows, L)),
           "eval.batch_size": 4 * 3 * -(-c.eval.batch_size // num_devices) * (V + L * D)}
  if r.rounds:
    slots = r.slots if r.slots >= 0 else min(r.chunk_size, 4096)  # -1: at most setup's GPU value
    in_flight = -(-(slots or r.chunk_size) // num_devices)
    cache = _floats(jax.eval_shape(lambda: model.empty_cache(r.max_len or L)))
    field = "rsir.slots" if r.slots else "rsir.chunk_size"  # slots = 0: a chunk at once
    sizes[field] = 4 * (4 * in_flight * (V + cache) + r.chunk_size * L)
  return sizes


def _floats(shapes) -> int:
  """Number of scalars in a pytree of arrays or shape structs."""
  return sum(math.prod(x.shape) for x in jax.tree_util.tree_leaves(shapes))


def check_sizes(c: ml_collections.ConfigDict, num_items: int, mesh) -> None:
  """Raises ConfigError when a batch size does not split evenly over the mesh's devices, or
  when a step would need more memory than a device has."""
  n = int(mesh.devices.size)
  fields = ("train.batch_size", "eval.batch_size") + (("rsir.chunk_size",) if c.rsir.rounds else ())
  for field in fields:
    value = paths.get(c, field)
    _require(value % n == 0, field, value,
             f"must be a multiple of the number of devices ({n}); use e.g. "
             f"{max(n, value - value % n)} or set parallel.num_devices")
  limit = device_memory_bytes(mesh.devices.flat[0])
  for field, need in _peak_bytes(c, num_items, n).items():
    _require(need < 0.8 * limit, field, paths.get(c, field),
             f"a step would need about {need / 2**30:,.1f} GiB per device "
             f"({num_items:,} items), more than the {limit / 2**30:,.1f} GiB a "
             f"{mesh.devices.flat[0].platform} device has; lower it")
