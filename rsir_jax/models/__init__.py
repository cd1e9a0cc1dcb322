"""Backbones by name: sasrec (causal self-attention, sasrec.py), cl4srec (SASRec with
CL4SRec's contrastive loss, cl4srec.py), gru4rec (stacked GRUs, gru4rec.py), hstu (HSTU's
pointwise-attention layers, hstu.py); Ensemble (ensemble.py) wraps several trained models of
one backbone as one (not a model.name: the rounds build it). A new backbone is a module
with a `Backbone` subclass (see base.py; `FlaxBackbone` when its network is one Flax module)
and one entry in `BACKBONES`; `model.name` in the config selects it."""

from __future__ import annotations

import ml_collections

from rsir_jax.models.base import Backbone, count_params
from rsir_jax.models.cl4srec import CL4SRec
from rsir_jax.models.ensemble import Ensemble
from rsir_jax.models.gru4rec import GRU4Rec
from rsir_jax.models.hstu import HSTU
from rsir_jax.models.sasrec import SASRec

BACKBONES = {"sasrec": SASRec, "cl4srec": CL4SRec, "gru4rec": GRU4Rec, "hstu": HSTU}

__all__ = ["BACKBONES", "Backbone", "CL4SRec", "Ensemble", "GRU4Rec", "HSTU", "SASRec", "build",
           "count_params"]


def build(model_config: ml_collections.ConfigDict, num_items: int) -> Backbone:
  """The backbone named `model_config.name`, sized by the rest of `model_config`, for a
  catalogue of `num_items` items."""
  if model_config.name not in BACKBONES:
    raise ValueError(f"model.name={model_config.name!r}: unknown; known: {sorted(BACKBONES)}")
  return BACKBONES[model_config.name].from_config(model_config, num_items)
