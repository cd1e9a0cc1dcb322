"""Tests for rsir_jax.data.parse: both formats, gzip, auto-detection, errors, real data."""

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest

from rsir_jax.data.parse import DataFormatError, dataset_stats, read_sequences


def _shared_file(name: str) -> Path:
  """A file of the shared benchmark data ($RSIR_DATA_DIR, else ../shared/data next to the repo);
  skips the test when it is absent."""
  base = os.environ.get("RSIR_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
  path = Path(base) / name
  if not path.is_file():
    pytest.skip(f"shared data file {path} not present")
  return path


def _write(path: Path, text: str, gz: bool = False) -> Path:
  data = text.encode()
  path.write_bytes(gzip.compress(data) if gz else data)
  return path


def _as_lists(sequences):
  return [s.tolist() for s in sequences]


SEQ_TEXT = "1 5 3 9\n2 4 4\n\n3 7 1 2 8 6\n"
SEQ_EXPECTED = [[5, 3, 9], [4, 4], [7, 1, 2, 8, 6]]


@pytest.mark.parametrize("gz", [False, True])
def test_seq_plain_and_gzip(tmp_path, gz):
  path = _write(tmp_path / ("d.txt.gz" if gz else "d.txt"), SEQ_TEXT, gz)
  sequences = read_sequences(path, "seq")
  assert _as_lists(sequences) == SEQ_EXPECTED
  assert all(s.dtype == np.int32 for s in sequences)


def test_gzip_detected_by_magic_bytes_not_extension(tmp_path):
  path = _write(tmp_path / "no_extension", SEQ_TEXT, gz=True)
  assert _as_lists(read_sequences(path)) == SEQ_EXPECTED


def test_seq_keeps_file_order_of_users_and_tolerates_whitespace(tmp_path):
  path = _write(tmp_path / "d.txt", "9 1 2\r\n  \t\n3\t4  5 \r\n1 6 7")
  assert _as_lists(read_sequences(path, "seq")) == [[1, 2], [4, 5], [6, 7]]


@pytest.mark.parametrize("gz", [False, True])
def test_pairs_interleaved_users(tmp_path, gz):
  text = "2 10\n1 20\n2 11\n\n3 5\n1 21\n2 12\n1 20\n"
  path = _write(tmp_path / "p.txt", text, gz)
  sequences = read_sequences(path, "pairs")
  # Users ascending, each user's items in file order (stable), repeats kept.
  assert _as_lists(sequences) == [[20, 21, 20], [10, 11, 12], [5]]
  assert all(s.dtype == np.int32 for s in sequences)


def test_auto_detects_pairs(tmp_path):
  path = _write(tmp_path / "p.txt", "1 3\n1 4\n2 5\n2 6\n2 7\n")
  assert _as_lists(read_sequences(path)) == [[3, 4], [5, 6, 7]]


def test_auto_two_tokens_per_line_but_unique_users_is_seq(tmp_path):
  path = _write(tmp_path / "s.txt", "3 1\n1 2\n2 3\n")
  assert _as_lists(read_sequences(path)) == [[1], [2], [3]]


def test_auto_detects_seq(tmp_path):
  path = _write(tmp_path / "s.txt", SEQ_TEXT)
  assert _as_lists(read_sequences(path, "auto")) == SEQ_EXPECTED


def _error(path, fmt="auto") -> str:
  with pytest.raises(DataFormatError) as info:
    read_sequences(path, fmt)
  return str(info.value)


@pytest.mark.parametrize("text", ["", "\n\n  \n\t\n"], ids=["empty", "blank_only"])
def test_empty_file(tmp_path, text):
  path = _write(tmp_path / "empty.txt", text)
  message = _error(path)
  assert str(path) in message and "empty" in message


def test_empty_gzip_file(tmp_path):
  path = _write(tmp_path / "empty.txt.gz", "", gz=True)
  assert str(path) in _error(path)


def test_seq_line_without_items(tmp_path):
  path = _write(tmp_path / "d.txt", "1 2 3\n\n2\n3 4 5\n")
  message = _error(path, "seq")
  assert f"{path}:3:" in message and "no items" in message


def test_seq_line_without_items_under_auto(tmp_path):
  path = _write(tmp_path / "d.txt", "1 2 3\n2 4\n4\n")
  assert f"{path}:3:" in _error(path)


def test_pairs_line_with_wrong_token_count(tmp_path):
  path = _write(tmp_path / "p.txt", "1 2\n1 3\n2 4 5\n")
  message = _error(path, "pairs")
  assert f"{path}:3:" in message and "2 tokens" in message


@pytest.mark.parametrize("token", ["abc", "1.5", "+3", "1_000", "1-2", "--4", "٣", "9" * 30])
def test_non_integer_token(tmp_path, token):
  path = _write(tmp_path / "d.txt", f"1 2 3\n2 4 {token} 5\n")
  message = _error(path)
  assert f"{path}:2:" in message and f"'{token}'" in message


@pytest.mark.parametrize("fmt", ["seq", "pairs"])
def test_zero_item_id(tmp_path, fmt):
  path = _write(tmp_path / "d.txt", "1 2\n1 3\n2 0\n")
  message = _error(path, fmt)
  assert f"{path}:3:" in message and "item id '0'" in message


def test_negative_user_id(tmp_path):
  path = _write(tmp_path / "d.txt", "1 2 3\n\n-2 4 5\n")
  message = _error(path)
  assert f"{path}:3:" in message and "user id '-2'" in message


def test_id_beyond_int32(tmp_path):
  path = _write(tmp_path / "d.txt", "1 2 3\n2 4 3000000000\n")
  message = _error(path)
  assert f"{path}:2:" in message and "3000000000" in message


def test_duplicate_user_in_seq_format_names_both_lines(tmp_path):
  path = _write(tmp_path / "d.txt", "1 2 3\n7 4 5\n2 6 8\n\n7 9 10\n")
  message = _error(path, "seq")
  assert f"{path}:5:" in message and "line 2" in message and "7" in message


def test_duplicate_user_under_auto_with_varying_lengths(tmp_path):
  path = _write(tmp_path / "d.txt", "1 2 3\n1 4\n")
  message = _error(path)
  assert f"{path}:2:" in message and "line 1" in message


def test_corrupt_gzip(tmp_path):
  path = tmp_path / "bad.txt.gz"
  path.write_bytes(gzip.compress(b"1 2 3\n" * 100)[:30])
  assert str(path) in _error(path)


def test_unknown_format(tmp_path):
  path = _write(tmp_path / "d.txt", SEQ_TEXT)
  with pytest.raises(ValueError, match="auto, seq, pairs"):
    read_sequences(path, "csv")


def test_missing_file(tmp_path):
  path = tmp_path / "nowhere.txt"
  with pytest.raises(FileNotFoundError, match="nowhere.txt"):
    read_sequences(path)


def test_dataset_stats():
  stats = dataset_stats([np.array([1, 2, 3]), np.array([2, 5])])
  assert stats == {"users": 2, "items": 4, "max_item_id": 5, "interactions": 5, "avg_len": 2.5,
                   "density": 5 / 8}


def test_real_beauty():
  start = time.perf_counter()
  sequences = read_sequences(_shared_file("beauty.txt.gz"))
  elapsed = time.perf_counter() - start
  stats = dataset_stats(sequences)
  assert (stats["users"], stats["items"], stats["interactions"]) == (22_363, 12_101, 198_502)
  assert stats["max_item_id"] == 12_101
  assert sequences[0].tolist() == [1, 2, 3, 4, 5]
  assert elapsed < 2.0  # about 0.1 s; generous for slow CI machines


@pytest.mark.parametrize("fmt", ["pairs", "auto"])
def test_real_sasrec_video_pairs(fmt):
  sequences = read_sequences(_shared_file("sasrec_video.txt.gz"), fmt)
  stats = dataset_stats(sequences)
  assert (stats["users"], stats["items"], stats["interactions"]) == (31_013, 23_715, 287_107)
  assert sequences[0][:3].tolist() == [6393, 13504, 14087]
  assert sum(len(s) < 3 for s in sequences) == 112
