"""The tiny config and dataset the tests share (a module, not only fixtures, so that the
subprocess worker of test_parallel.py can import it too)."""

from __future__ import annotations

import numpy as np

from rsir_jax import config as config_lib
from rsir_jax.data.load import Data, ItemIds
from rsir_jax.data.split import leave_one_out
from rsir_jax.run import setup, sweep


def tiny_config(overrides: dict | None = None):
  """A one-layer d=16 SASRec trained for 2 epochs on the tiny data; RSIR fields sized for
  2 rounds (used when rsir.rounds > 0). `overrides`: {"section.field": value}."""
  c = config_lib.get_base_config()
  c.model.dim, c.model.num_layers, c.model.max_len = 16, 1, 12
  c.data.bucket_lengths = (4, 8)
  c.train.batch_size, c.train.max_epochs, c.train.patience = 32, 2, 2
  c.eval.batch_size = 64
  c.rsir.m, c.rsir.tau, c.rsir.chunk_size = 2, 10, 64
  return sweep.apply_overrides(c, overrides or {})


def tiny_rsir_config(**rsir):
  """tiny_config with 2 RSIR rounds and the given rsir fields."""
  return tiny_config({"rsir.rounds": 2, **{f"rsir.{k}": v for k, v in rsir.items()}})


def tiny_sequences(num_users: int = 120, num_items: int = 50, seed: int = 0):
  """Users walk through the items in steps of 1 or 2, so next items are learnable."""
  rng = np.random.default_rng(seed)
  seqs = []
  for _ in range(num_users):
    start, n = rng.integers(1, 40), rng.integers(4, 12)
    seqs.append(((start + np.arange(n) * rng.integers(1, 3)) % num_items + 1).astype(np.int32))
  return seqs


def tiny_split():
  """The leave-one-out split of `tiny_sequences()`."""
  return leave_one_out(tiny_sequences())


def tiny_data():
  """`tiny_split()` as loaded Data (ids already 1..N)."""
  return Data(tiny_split(), {}, ItemIds())


def write_tiny_file(path, seqs=None) -> str:
  """Writes sequences as a 'user item item ...' file; returns its path as a string."""
  with open(path, "w") as f:
    for u, s in enumerate(seqs if seqs is not None else tiny_sequences(), start=1):
      f.write(" ".join(map(str, [u, *s])) + "\n")
  return str(path)


def resolve(config, data=None):
  """The setup of `config` on the tiny data (or `data`)."""
  return setup.resolve(config, (data or tiny_data()).split)


def crashing_on_call(real, n: int):
  """`real` wrapped so that its n-th call raises KeyboardInterrupt, a simulated crash (the
  tests of resuming inside a round's generation)."""
  calls = {"n": 0}

  def wrapped(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == n:
      raise KeyboardInterrupt("simulated crash")
    return real(*args, **kwargs)

  return wrapped
