"""From a config's data section to a leave-one-out split."""

from __future__ import annotations

import logging

import ml_collections

from rsir_jax.data import download, parse, split

log = logging.getLogger(__name__)


def resolve_path(data_cfg: ml_collections.ConfigDict) -> str:
  """The file to read: data.path as given, or the named dataset located (and downloaded and
  verified if needed) in the data directory."""
  if data_cfg.path:
    return data_cfg.path
  data_dir = download.resolve_data_dir(data_cfg.dir or None)
  return str(download.locate_dataset(data_cfg.name, data_dir, base_url=data_cfg.base_url or None))


def load_split(data_cfg: ml_collections.ConfigDict) -> tuple[split.LeaveOneOutSplit, dict]:
  """Reads the configured data and splits it leave-one-out. Returns (split, info) where info
  holds the source path and the dataset statistics."""
  path = resolve_path(data_cfg)
  sequences = parse.read_sequences(path, data_cfg.format)
  stats = parse.dataset_stats(sequences)
  log.info("data %s: %s", path, stats)
  loo = split.leave_one_out(sequences)
  return loo, {"path": path, **stats}
