"""Checks a resolved config before any compute, with errors that name the offending field."""

from __future__ import annotations

import ml_collections

from rsir_jax import parallel
from rsir_jax.data.download import DATASETS
from rsir_jax.losses import LOSSES

FORMATS = ("auto", "seq", "pairs")


class ConfigError(ValueError):
  """A config field holds an invalid value."""


def _require(ok: bool, field: str, value, why: str) -> None:
  if not ok:
    raise ConfigError(f"config.{field}={value!r}: {why}")


def _get(c, field: str):
  for part in field.split("."):
    c = c[part]
  return c


def _positive_int(c, field: str) -> None:
  value = _get(c, field)
  _require(isinstance(value, int) and not isinstance(value, bool) and value > 0, field, value,
           "must be a positive integer")


def _non_negative(c, field: str) -> None:
  value = _get(c, field)
  _require(isinstance(value, (int, float)) and value >= 0, field, value, "must be >= 0")


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
  for field in ("model.dim", "model.num_layers", "model.num_heads", "model.ffn_mult",
                "model.max_len", "train.batch_size", "train.max_epochs", "train.patience",
                "eval.batch_size"):
    _positive_int(c, field)
  _require(m.dim % m.num_heads == 0, "model.num_heads", m.num_heads,
           f"must divide model.dim={m.dim}")
  for field in ("model.dropout", "model.attn_dropout"):
    value = _get(c, field)
    _require(0.0 <= value < 1.0, field, value, "must be in [0, 1)")
  _require(t.loss in LOSSES, "train.loss", t.loss, f"unknown loss; use one of {LOSSES}")
  _positive_int(c, "train.num_negatives")
  _require(t.loss_norm in ("batch_mean", "per_target"), "train.loss_norm", t.loss_norm,
           "must be 'batch_mean' or 'per_target'")
  _require(isinstance(t.prefix_rows, bool), "train.prefix_rows", t.prefix_rows,
           "must be True or False")
  _require(t.lr > 0, "train.lr", t.lr, "must be > 0")
  for field in ("train.weight_decay", "train.grad_clip", "train.log_every_steps",
                "train.checkpoint_every_steps", "train.stop_after_steps"):
    _non_negative(c, field)
  _require(len(e.ks) > 0 and all(isinstance(k, int) and k > 0 for k in e.ks), "eval.ks", e.ks,
           "must be positive integers")
  _require(20 in e.ks, "eval.ks", e.ks, "must include 20 (early stopping uses NDCG@20)")
  _require(isinstance(c.parallel.num_devices, int) and c.parallel.num_devices >= 0,
           "parallel.num_devices", c.parallel.num_devices, "must be an integer >= 0")
  _require(isinstance(c.parallel.distributed, bool), "parallel.distributed",
           c.parallel.distributed, "must be True or False")
  _require(isinstance(c.parallel.num_processes, int) and c.parallel.num_processes >= 0,
           "parallel.num_processes", c.parallel.num_processes, "must be an integer >= 0")
  _require(isinstance(c.parallel.process_id, int) and c.parallel.process_id >= -1,
           "parallel.process_id", c.parallel.process_id, "must be an integer >= -1")
  _validate_rsir(c)


def check_devices(c: ml_collections.ConfigDict) -> None:
  """Raises ValueError when the devices cannot take the config's batches: too few devices for
  parallel.num_devices, or a batch size that does not split evenly over them."""
  mesh = parallel.make_mesh(c.parallel.num_devices)
  fields = ("train.batch_size", "eval.batch_size") + (("rsir.chunk_size",) if c.rsir.rounds else ())
  for field in fields:
    parallel.check_divisible(field, _get(c, field), mesh)


def _validate_rsir(c: ml_collections.ConfigDict) -> None:
  r = c.rsir
  for field in ("rsir.rounds", "rsir.max_len", "rsir.generator_dim", "rsir.generator_layers",
                "rsir.top_k", "rsir.slots"):
    _require(isinstance(_get(c, field), int) and _get(c, field) >= 0, field, _get(c, field),
             "must be an integer >= 0")
  for field in ("rsir.m", "rsir.tau", "rsir.min_len", "rsir.chunk_size"):
    _positive_int(c, field)
  _require(0.0 <= r.p <= 1.0, "rsir.p", r.p, "must be in [0, 1]")
  _require(r.temperature > 0, "rsir.temperature", r.temperature, "must be > 0")
  _require(r.start in ("first", "prefix"), "rsir.start", r.start, "must be 'first' or 'prefix'")
  _require(r.choice in ("greedy", "sample"), "rsir.choice", r.choice,
           "must be 'greedy' or 'sample'")
  _require(r.sources in ("all", "real"), "rsir.sources", r.sources, "must be 'all' or 'real'")
  _require(r.max_len <= c.model.max_len, "rsir.max_len", r.max_len,
           f"must not exceed model.max_len={c.model.max_len}")
  if r.generator_dim:
    heads = c.model.num_heads
    _require(r.generator_dim % heads == 0, "rsir.generator_dim", r.generator_dim,
             f"must be divisible by model.num_heads={heads}")
