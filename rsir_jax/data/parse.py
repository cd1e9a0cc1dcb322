"""Reading interaction files into per-user item sequences.

Two plain-text formats are supported (either may be gzip-compressed):

- "seq":   one line per user, `user item item ...`, items in time order (S3-Rec style).
- "pairs": one line per interaction, `user item`, a user's lines in time order (SASRec style).

Ids are positive integers; 0 is never a valid id, so it stays free for padding.
"""

from __future__ import annotations

import errno
import gzip
import itertools
import os
import re
import zlib
from typing import Sequence

import numpy as np

from rsir_jax import storage
from rsir_jax.errors import UserError, shorten

FORMATS = ("auto", "seq", "pairs")

_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_INT32_MAX = np.iinfo(np.int32).max
# Anything but ASCII digits, '-' and ASCII whitespace. int() alone would also accept '+7', '1_000'
# and non-ASCII digits, which are not ids in any file we expect, so they are rejected up front.
_NOT_ID_CHAR = re.compile(rb"[^0-9\s-]")
_ID_TOKEN = re.compile(rb"-?[0-9]+")


class DataFormatError(UserError, ValueError):
  """A data file is malformed. The message names the file and, where it applies, the line."""


def read_bytes(path: str | os.PathLike) -> bytes:
  """Returns the contents of `path` (a local path or a gs:// URL), gunzipped if it starts with
  the gzip magic bytes (whatever its extension)."""
  try:
    raw = storage.read_bytes(str(path))
  except FileNotFoundError:
    raise DataFileNotFoundError(errno.ENOENT, "data file not found", str(path)) from None
  if raw[:2] != _GZIP_MAGIC:
    return raw
  try:
    return gzip.decompress(raw)
  except (OSError, EOFError, zlib.error) as e:
    raise DataFormatError(f"{path}: not a valid gzip file ({e})") from None


class DataFileNotFoundError(UserError, FileNotFoundError):
  """The data file does not exist."""


def _token_text(token: bytes) -> str:
  """A token as text for a message: undecodable bytes escaped, long tokens shortened."""
  return shorten(token.decode("utf-8", errors="backslashreplace"))


def _parse_lines(path, data: bytes):
  """Splits `data` into non-blank lines of integer tokens.

  Returns (ints, counts, line_numbers): all tokens as one int64 array, the number of tokens on
  each non-blank line, and each such line's 1-based line number in the file.
  """
  if data.startswith(_UTF8_BOM):
    data = data[len(_UTF8_BOM):]
  token_lists = [line.split() for line in data.splitlines()]
  counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
  line_numbers = np.flatnonzero(counts) + 1  # of the non-blank lines, 1-based
  if line_numbers.size == 0:
    raise DataFormatError(f"{path}: empty file (no non-blank lines)")

  flat = list(itertools.chain.from_iterable(token_lists))  # blank lines add nothing
  ints = None
  if _NOT_ID_CHAR.search(data) is None:
    try:
      ints = np.array(list(map(int, flat)), dtype=np.int64)
    except (ValueError, OverflowError):
      ints = None  # e.g. '1-2' or a 30-digit number: located below
  if ints is None:
    # Slow path, only taken for a bad file: find the first offending token and its line.
    for number, tokens in enumerate(token_lists, start=1):
      for token in tokens:
        if not _ID_TOKEN.fullmatch(token) or abs(int(token)) > _INT32_MAX:
          raise DataFormatError(
              f"{path}:{number}: token '{_token_text(token)}' is not an integer id "
              f"(ids are positive integers up to {_INT32_MAX})")
    raise AssertionError("unreachable: a token failed to parse but none was found")
  return ints, counts[line_numbers - 1], line_numbers


def _check_ids(path, ints, counts, line_numbers) -> None:
  """Raises DataFormatError for the first id that is <= 0 or does not fit int32."""
  bad = np.flatnonzero((ints <= 0) | (ints > _INT32_MAX))
  if bad.size == 0:
    return
  first = int(bad[0])
  line_starts = np.cumsum(counts) - counts
  line_index = int(np.searchsorted(line_starts, first, side="right")) - 1
  kind = "user" if first == line_starts[line_index] else "item"
  raise DataFormatError(f"{path}:{line_numbers[line_index]}: {kind} id '{ints[first]}' must be a "
                        f"positive integer up to {_INT32_MAX}")


def _detect_format(counts, users) -> str:
  if np.all(counts == 2) and np.unique(users).size < users.size:
    return "pairs"
  return "seq"


def _sequences_from_seq(path, ints, counts, line_numbers) -> list[np.ndarray]:
  short = np.flatnonzero(counts < 2)
  if short.size:
    raise DataFormatError(f"{path}:{line_numbers[short[0]]}: line has a user id but no items "
                          "(expected 'user item item ...')")
  line_starts = np.cumsum(counts) - counts
  users = ints[line_starts]
  first_line_of = {}
  for user, number in zip(users.tolist(), line_numbers.tolist()):
    if user in first_line_of:
      raise DataFormatError(f"{path}:{number}: user id {user} already appeared on line "
                            f"{first_line_of[user]} (in 'seq' format each user has one line)")
    first_line_of[user] = number
  items = ints.astype(np.int32)
  # Each user's items are the line's tokens after the user id; views into one shared buffer.
  return [items[start + 1:start + count] for start, count in zip(line_starts.tolist(),
                                                                  counts.tolist())]


def _sequences_from_pairs(path, ints, counts, line_numbers) -> list[np.ndarray]:
  wrong = np.flatnonzero(counts != 2)
  if wrong.size:
    i = int(wrong[0])
    raise DataFormatError(f"{path}:{line_numbers[i]}: expected 2 tokens 'user item', found "
                          f"{counts[i]}")
  users, items = ints[0::2], ints[1::2].astype(np.int32)
  # A stable sort groups each user's lines by ascending user id and keeps their file order.
  order = np.argsort(users, kind="stable")
  users, items = users[order], items[order]
  boundaries = np.flatnonzero(np.diff(users)) + 1
  return np.split(items, boundaries)


def read_sequences(path: str | os.PathLike, fmt: str = "auto") -> list[np.ndarray]:
  """Reads an interaction file into one int32 array of item ids per user, in time order.

  Args:
    path: a plain-text file, or a gzip-compressed one (detected by its magic bytes).
    fmt: "seq" (`user item item ...` per line; users come back in file order), "pairs"
      (`user item` per line, a user's lines need not be contiguous; users come back in
      ascending id order, each user's items in file order) or "auto": "pairs" when every
      non-blank line has exactly two tokens and some user id is on more than one line, else "seq".

  Raises:
    ValueError: `fmt` is not one of FORMATS.
    FileNotFoundError: `path` does not exist.
    DataFormatError: the file is empty or malformed; the message names the file and the line.
  """
  if fmt not in FORMATS:
    raise ValueError(f"unknown data format {fmt!r}; allowed: {', '.join(FORMATS)}")
  ints, counts, line_numbers = _parse_lines(path, read_bytes(path))
  _check_ids(path, ints, counts, line_numbers)
  if fmt == "auto":
    fmt = _detect_format(counts, ints[np.cumsum(counts) - counts])
  if fmt == "seq":
    return _sequences_from_seq(path, ints, counts, line_numbers)
  return _sequences_from_pairs(path, ints, counts, line_numbers)


def dataset_stats(sequences: Sequence[np.ndarray]) -> dict:
  """Summary statistics of per-user item sequences: users, items (distinct), max_item_id,
  interactions, avg_len (interactions / users) and density (interactions / (users * items))."""
  users = len(sequences)
  all_items = (np.concatenate([np.asarray(s).ravel() for s in sequences]) if users
               else np.zeros(0, np.int64))
  interactions = int(all_items.size)
  items = int(np.unique(all_items).size)
  return {
      "users": users,
      "items": items,
      "max_item_id": int(all_items.max()) if interactions else 0,
      "interactions": interactions,
      "avg_len": interactions / users if users else 0.0,
      "density": interactions / (users * items) if users and items else 0.0,
  }
