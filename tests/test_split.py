"""Tests for rsir_jax.data.split: leave-one-out without leakage, short users, real Beauty."""

import os
from pathlib import Path

import numpy as np
import pytest

from rsir_jax.data.parse import read_sequences
from rsir_jax.data.split import LeaveOneOutSplit, leave_one_out, summary


def _random_sequences(seed=0, users=300, items=50):
  rng = np.random.default_rng(seed)
  lengths = rng.integers(0, 12, size=users)  # includes 0, 1 and 2: train-only users
  return [rng.integers(1, items + 1, size=n).astype(np.int32) for n in lengths]


def _check_split(sequences, split: LeaveOneOutSplit) -> None:
  """Every property a leave-one-out split must have, user by user."""
  assert len(split.train) == len(sequences)
  evaluated = [i for i, s in enumerate(sequences) if len(s) >= 3]
  assert split.eval_user_index.tolist() == evaluated
  assert split.num_train_only_users == len(sequences) - len(evaluated)
  assert len(split.valid_inputs) == len(split.test_inputs) == len(evaluated)
  assert split.valid_targets.shape == split.test_targets.shape == (len(evaluated),)
  assert split.valid_targets.dtype == split.test_targets.dtype == np.int32

  evaluated_set = set(evaluated)
  for user, items in enumerate(sequences):
    items = np.asarray(items)
    train = split.train[user]
    assert train.dtype == np.int32
    if user not in evaluated_set:
      assert np.array_equal(train, items)  # all of a short user goes to training
      continue
    # Training is exactly the prefix before the validation and test positions: neither target
    # position reaches training.
    assert np.array_equal(train, items[:-2])
  for k, user in enumerate(evaluated):
    items = np.asarray(sequences[user])
    assert split.valid_targets[k] == items[-2] and split.test_targets[k] == items[-1]
    assert np.array_equal(split.valid_inputs[k], items[:-2])
    assert np.array_equal(split.test_inputs[k], items[:-1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_sequences(seed):
  sequences = _random_sequences(seed)
  split = leave_one_out(sequences)
  _check_split(sequences, split)
  assert split.num_items == max(int(s.max()) for s in sequences if len(s))
  assert split.num_train_only_users > 0
  assert sum(len(t) for t in split.train) == sum(len(s) for s in sequences) - 2 * len(
      split.test_targets)


def test_small_example():
  sequences = [np.array([3, 1, 4, 1, 5]), np.array([9, 2]), np.array([6, 5, 3])]
  split = leave_one_out(sequences)
  assert [t.tolist() for t in split.train] == [[3, 1, 4], [9, 2], [6]]
  assert [v.tolist() for v in split.valid_inputs] == [[3, 1, 4], [6]]
  assert split.valid_targets.tolist() == [1, 5]
  assert [t.tolist() for t in split.test_inputs] == [[3, 1, 4, 1], [6, 5]]
  assert split.test_targets.tolist() == [5, 3]
  assert split.eval_user_index.tolist() == [0, 2]
  assert split.num_items == 9 and split.num_train_only_users == 1
  assert summary(split) == ("leave-one-out: 3 users (2 evaluated, 1 train-only), 9 items, "
                            "6 training interactions")


def test_split_does_not_alias_the_input():
  sequences = [np.array([1, 2, 3, 4], dtype=np.int32)]
  split = leave_one_out(sequences)
  sequences[0][0] = 99
  assert split.train[0].tolist() == [1, 2]


def test_num_items_override():
  sequences = [np.array([1, 2, 3])]
  assert leave_one_out(sequences, num_items=10).num_items == 10
  with pytest.raises(ValueError, match="largest item id 3"):
    leave_one_out(sequences, num_items=2)


def test_long_sequences_are_not_truncated():
  sequences = [np.arange(1, 1001)]
  split = leave_one_out(sequences)
  assert len(split.train[0]) == 998 and len(split.test_inputs[0]) == 999


def test_real_beauty():
  base = (os.environ.get("RSIR_DATA_DIR")
          or Path(__file__).resolve().parents[2] / "shared" / "data")
  path = Path(base) / "beauty.txt.gz"
  if not path.is_file():
    pytest.skip(f"shared data file {path} not present")
  sequences = read_sequences(path)
  split = leave_one_out(sequences)
  assert len(split.test_targets) == 22_363 and split.num_train_only_users == 0
  assert split.num_items == 12_101
  _check_split(sequences, split)
  assert sum(len(t) for t in split.train) == 198_502 - 2 * 22_363
