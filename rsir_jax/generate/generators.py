"""What makes a round's new rows (rsir.generator), behind one interface: RSIR's trajectories
with fidelity control, or a data-augmentation baseline that edits the rows instead
(augmenters.py). A generator is built once from the config (`from_config`) and asked, each
round, for its sources and its output; the loop calls the interface and tests no names.

A new generator is a subclass and a line in REGISTRY (with its fields in config/fields.py).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar, Sequence

import jax
import numpy as np

from rsir_jax.files import Writer
from rsir_jax.generate import augmenters, output, rollouts
from rsir_jax.generate.sampler import SamplerConfig
from rsir_jax.models import Backbone


@dataclasses.dataclass(frozen=True)
class RoundInputs:
  """What a generator reads in one round: the model that generates (`params` of `model`),
  the sampler settings with the round's tau, the round's generation key, the folder its
  resumable chunks go to, and how the work is laid out (mesh, slots, chunk size)."""
  params: object
  model: Backbone
  sampling: SamplerConfig
  key: jax.Array
  chunk_dir: str
  chunk_size: int
  mesh: object = None
  slots: int = 0
  writer: Writer | None = None


class Generator(abc.ABC):
  """One way of making a round's new rows from its sources."""

  name: ClassVar[str]

  @classmethod
  @abc.abstractmethod
  def from_config(cls, rsir) -> "Generator":
    """The generator of the config's `rsir` part."""

  def sources(self, rows: Sequence[np.ndarray]) -> list:
    """The rows it generates from, given the round's source rows (default: as they are)."""
    return list(rows)

  @abc.abstractmethod
  def generate(self, inputs: RoundInputs, sources: Sequence[np.ndarray]) -> output.Generated:
    """The round's output: trajectories (or edited copies) with their source indices."""

  def counts(self, inputs: RoundInputs, real_rows: Sequence[np.ndarray]) -> dict:
    """What the round's entry records about the generator beyond the row counts."""
    return {"generator": self.name}


@dataclasses.dataclass(frozen=True)
class RSIR(Generator):
  """The model's trajectories with fidelity control (sampler.py): `copies` per source; with
  targets='input' (the authors') a source's target set is its row without the last item."""

  name: ClassVar[str] = "rsir"
  copies: int
  targets: str = "row"

  @classmethod
  def from_config(cls, rsir) -> "RSIR":
    return cls(copies=rsir.m, targets=rsir.targets)

  def sources(self, rows):
    return [s[:-1] for s in rows] if self.targets == "input" else list(rows)

  def generate(self, inputs, sources):
    return rollouts.generate_round(
        inputs.params, inputs.model, inputs.sampling, sources, self.copies, inputs.key,
        inputs.chunk_size, inputs.chunk_dir, mesh=inputs.mesh, slots=inputs.slots,
        writer=inputs.writer)

  def counts(self, inputs, real_rows):
    # The teacher-forced first-check pass rate of the real rows (as the round's sources).
    return {"real_first_check_pass_rate": rollouts.first_check_pass_rate(
        inputs.params, inputs.model, inputs.sampling, self.sources(real_rows))}


@dataclasses.dataclass(frozen=True)
class Edit(Generator):
  """A baseline that edits `copies` copies of every source (augmenters.py) at `rate`."""

  copies: int
  rate: float
  rate_field: ClassVar[str]
  uses_item_table: ClassVar[bool] = False

  @classmethod
  def from_config(cls, rsir) -> "Edit":
    return cls(copies=rsir.m, rate=rsir[cls.rate_field])

  def generate(self, inputs, sources):
    table = inputs.model.item_table(inputs.params) if self.uses_item_table else None
    return augmenters.generate_round(self.name, self.rate, sources, self.copies, inputs.key,
                                     inputs.sampling.max_len, table, inputs.chunk_size)


class Reorder(Edit):
  """A random span of the row shuffled (CL4SRec's reordering)."""
  name, rate_field = "reorder", "reorder_rate"


class Insert(Edit):
  """Before some items, the item most similar to it in the round's model embeddings."""
  name, rate_field, uses_item_table = "insert", "insert_rate", True


class Crop(Edit):
  """A random contiguous span of the row (CL4SRec's crop)."""
  name, rate_field = "crop", "crop_rate"


REGISTRY: dict[str, type[Generator]] = {"rsir": RSIR, "reorder": Reorder, "insert": Insert,
                                        "crop": Crop}


def from_config(rsir) -> Generator:
  """The generator that rsir.generator names."""
  if rsir.generator not in REGISTRY:
    raise ValueError(f"rsir.generator={rsir.generator!r} is not one of {tuple(REGISTRY)}")
  return REGISTRY[rsir.generator].from_config(rsir)
