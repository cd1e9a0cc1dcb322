"""The training setups config files compose (the strong baseline, the paper's, the authors'
released code's, RecBole's) and the named presets of every config file (smoke, recbole,
screen)."""

import ml_collections

from rsir_jax.errors import ConfigError


def recbole_setup(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """RecBole's training of SASRec: full softmax CE on prefix rows (each target its own row
  with its own dropout draw), 2048 rows per batch, a constant learning rate of 1e-3; patience 10
  (the measured runs'; the paper uses 20). The per-dataset configs' setup before the
  time-to-quality work, kept as their 'recbole' preset: on Beauty it reaches 0.0939 / 0.0577
  (seed 0) in about 23 minutes on 2 cores (docs/results.md, section 11)."""
  c.train.loss = "ce"
  c.train.prefix_rows = True
  c.train.batch_size = 2048
  c.train.lr = 1e-3
  c.train.patience = 10
  return c


def strong_baseline(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The setup of the per-dataset SASRec configs: RecBole's (recbole_setup) made faster to
  the same quality (docs/results.md, section 11): 512 rows per batch (4x the updates per
  epoch at the same cost), a learning rate of 2e-3, dropout rising from 0 to its rate over
  the first 6 epochs (an underfitting model learns faster without it), the learning rate
  halved after every 2 epochs without a better validation (small batches level off at a
  constant rate), and the rbg PRNG for the dropout masks (cheaper to draw and to compile on
  CPU). Until 2026-11-29 the rate was 1e-3 with a 4-epoch warmup: the same full-length
  quality on two seeds, 3 more epochs to RecBole's bar."""
  c = recbole_setup(c)
  c.train.batch_size = 512
  c.train.lr = 2e-3
  c.train.dropout_warmup_epochs = 6.0
  c.train.rng = "rbg"
  c.train.lr_decay_patience = 2
  return c


def paper_setup(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The paper's training setup: sampled softmax with 256 negatives on sequence rows (one
  row per user, every position a target), batch 256; patience 10 (the measured runs')."""
  c.train.loss = "sampled"
  c.train.num_negatives = 256
  c.train.prefix_rows = False
  c.train.batch_size = 256
  c.train.patience = 10
  return c


def authors_protocol(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Every field at the value of the authors' released code (RSIR's model/basemodel.py, its
  SASRec from their DR4SR code; ../shared/notes/authors_protocol.md): SASRec with FFN width
  128, no input LayerNorm, dropout inside the FFN; sampled softmax with 256 negatives per
  position from outside the row; one row per user, batch 256, patience 20, up to 1000
  epochs, seed 2023; m = 5, p = 0.5, greedy choice, the first item as start, the item before
  a failed check kept, duplicates removed within the round's new rows only, T = the row's
  input; 3 rounds. The threshold is the caller's (the authors' only shipped one, k = 2e7,
  switches the check off)."""
  c.seed = 2023
  c.model.ffn_mult, c.model.input_norm, c.model.ffn_dropout = 2, False, True
  c.train.loss, c.train.num_negatives, c.train.negatives = "sampled", 256, "row"
  c.train.prefix_rows, c.train.batch_size = False, 256
  c.train.patience, c.train.max_epochs = 20, 1000
  r = c.rsir
  r.rounds, r.m, r.p, r.choice, r.start = 3, 5, 0.5, "greedy", "first"
  r.drop_failed, r.dedup, r.targets, r.sources = False, "new", "input", "all"
  return c


def apply_preset(c: ml_collections.ConfigDict, preset: str | None) -> ml_collections.ConfigDict:
  """Applies a named preset: '' / None (the full run), 'smoke' (a short run on the real
  data: a small one-layer model, sampled softmax, a few epochs; under a minute on a laptop
  CPU), 'recbole' (the training fields at recbole_setup's values: the slower reference) or
  'screen' (the full run stopped after 15 epochs: past the strong baseline's quality bar,
  which it reaches at epoch 10 or 11; for timing, e.g. the GPU check's cold and warm runs)."""
  if not preset:
    return c
  if preset == "screen":
    c.train.max_epochs = 15
    return c
  if preset == "recbole":
    c.train.dropout_warmup_epochs, c.train.rng = 0.0, "threefry"  # undo strong_baseline
    c.train.lr_decay_patience = 0
    return recbole_setup(c)
  if preset == "smoke":
    c.model.dim = 32
    c.model.num_layers = 1
    c.model.dropout = 0.2
    c.model.attn_dropout = 0.2
    c.data.bucket_lengths = (8,)  # fewer shapes: compiling dominates a run this short
    c.train.loss = "sampled"
    c.train.prefix_rows = False  # sequence rows: ~6x fewer rows, the point of a smoke run
    c.train.batch_size = 256
    c.train.lr = 3e-3
    c.train.max_epochs = 10
    c.train.patience = 10
    c.train.dropout_warmup_epochs, c.train.rng = 0.0, "threefry"  # as its result was measured
    c.train.lr_decay_patience = 0
    return c
  raise ConfigError(f"unknown preset {preset!r}: use '', 'smoke', 'recbole' or 'screen'")


def parse_arg(arg: str, **defaults) -> ml_collections.ConfigDict:
  """A config file's argument (`--config=path:arg`) over its `defaults`, read as big_vision
  reads its config arguments: comma-separated key=value pairs, each value cast to the type
  of its default ('dataset=sports,preset=smoke'); a bare word sets `preset`, so the older
  `path:smoke` form keeps working. An unknown key or a bad value is a ConfigError."""
  out = ml_collections.ConfigDict(dict(defaults))
  for part in filter(None, (p.strip() for p in (arg or "").split(","))):
    key, eq, value = part.partition("=")
    if not eq:
      key, value = "preset", part
    if key not in defaults:
      raise ConfigError(f"config argument {key!r} (in {arg!r}): this config file takes "
                        f"{', '.join(sorted(defaults))}")
    kind = type(defaults[key])
    try:
      out[key] = (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)
    except ValueError:
      raise ConfigError(f"config argument {key}={value!r}: not a {kind.__name__}") from None
  return out
