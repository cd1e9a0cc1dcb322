"""Dotted field paths into a config ('train.loss'): read one field, a copy with several set,
a config's fields flattened to {path: value}. The one place that walks a config by path."""

from __future__ import annotations

import ml_collections

from rsir_jax.errors import UserError


class FieldPathError(UserError, ValueError):
  """A dotted path that names no field of the config."""


def get(config: ml_collections.ConfigDict, path: str):
  """The value of the field at `path`; FieldPathError if it is not a field (or a section)."""
  node = config
  for part in path.split("."):
    if not isinstance(node, ml_collections.ConfigDict) or part not in node:
      raise FieldPathError(f"field {path!r} is not a config field")
    node = node[part]
  if isinstance(node, ml_collections.ConfigDict):
    raise FieldPathError(f"field {path!r} is a section, not a field")
  return node


def apply_overrides(config: ml_collections.ConfigDict,
                    overrides: dict) -> ml_collections.ConfigDict:
  """A copy of `config` with the dotted-path `overrides` ({path: value}) set."""
  out = ml_collections.ConfigDict(config.to_dict())
  for path, value in overrides.items():
    get(out, path)
    *sections, name = path.split(".")
    node = out
    for s in sections:
      node = node[s]
    node[name] = value
  return out


def flat(d: dict, prefix: str = "") -> dict:
  """{dotted path: value} of a nested dict (a config's to_dict())."""
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(flat(v, f"{prefix}{k}."))
    else:
      out[f"{prefix}{k}"] = v
  return out
