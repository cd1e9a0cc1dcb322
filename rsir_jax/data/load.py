"""From a config's data section to a checked leave-one-out split.

Item ids that are not exactly 1..N (gaps, or ids in the billions) are mapped to 1..N in
ascending order before anything is sized by them; `ItemIds` maps rows back to the file's ids
wherever the run writes items (the synthetic rows of an RSIR round).
"""

from __future__ import annotations

import dataclasses
import logging
import os

import ml_collections
import numpy as np

from rsir_jax.data import download, parse, split

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ItemIds:
  """The file's item id of each internal id 1..N (`original[i - 1]`); None: they coincide."""
  original: np.ndarray | None = None

  def to_internal(self, rows):
    """Rows of file ids -> rows of internal ids."""
    if self.original is None:
      return list(rows)
    return [(np.searchsorted(self.original, r) + 1).astype(np.int32) for r in rows]

  def to_original(self, rows):
    """Rows of internal ids -> rows of file ids."""
    if self.original is None:
      return list(rows)
    return [self.original[np.asarray(r) - 1] for r in rows]


@dataclasses.dataclass(frozen=True)
class Data:
  """A loaded dataset: its split, its statistics (and path), and the item id mapping."""
  split: split.LeaveOneOutSplit
  info: dict
  item_ids: ItemIds


def resolve_path(data_cfg: ml_collections.ConfigDict) -> str:
  """The file to read: data.path as given, or the named dataset located (and downloaded and
  verified if needed) in the data directory."""
  if data_cfg.path:
    return data_cfg.path
  data_dir = download.resolve_data_dir(data_cfg.dir or None)
  return str(download.locate_dataset(data_cfg.name, data_dir, base_url=data_cfg.base_url or None))


def _dense_ids(sequences: list[np.ndarray]) -> tuple[list[np.ndarray], ItemIds]:
  """Maps item ids to 1..N when they are not already exactly that."""
  unique = np.unique(np.concatenate(sequences))
  if unique[-1] == len(unique):
    return sequences, ItemIds()
  ids = ItemIds(unique)
  log.info("item ids are not 1..%d (largest %d): mapped to 1..%d", len(unique),
           int(unique[-1]), len(unique))
  return ids.to_internal(sequences), ids


def load_data(data_cfg: ml_collections.ConfigDict) -> Data:
  """Reads the configured data, maps its item ids to 1..N, splits it leave-one-out and checks
  that it can be trained and evaluated on (raises parse.DataFormatError naming the file)."""
  path = resolve_path(data_cfg)
  sequences = parse.read_sequences(path, data_cfg.format)
  stats = parse.dataset_stats(sequences)
  log.info("data %s: %s", path, stats)
  sequences, item_ids = _dense_ids(sequences)
  loo = split.leave_one_out(sequences)
  if not len(loo.test_targets):
    raise parse.DataFormatError(
        f"{path}: no user has {split.MIN_EVAL_LEN} or more items, so nobody can be evaluated "
        "(leave-one-out needs training items, a validation target and a test target)")
  if not any(len(s) >= 2 for s in loo.train):
    raise parse.DataFormatError(f"{path}: no user has 2 or more training items: nothing to "
                                "train on")
  # The file's name only: result files record it, and they are kept in git (no paths of the
  # machine that ran them).
  return Data(loo, {"file": os.path.basename(path), **stats,
                    "ids_remapped": item_ids.original is not None}, item_ids)


def load_split(data_cfg: ml_collections.ConfigDict) -> tuple[split.LeaveOneOutSplit, dict]:
  """(split, info) of `load_data`, for callers that need no id mapping."""
  data = load_data(data_cfg)
  return data.split, data.info
