"""Leave-one-out split in time order: test = last item, validation = second to last item,
training = the rest."""

from __future__ import annotations

import dataclasses
import logging
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

# A user needs a training item, a validation target and a test target to be evaluated.
MIN_EVAL_LEN = 3


@dataclasses.dataclass(frozen=True)
class LeaveOneOutSplit:
  """Per-user training sequences and the validation/test queries of the evaluated users.

  Attributes:
    train: the training part of every user, in the original user order (int32). For an evaluated
      user it is items[:-2]; a train-only user (fewer than MIN_EVAL_LEN items) keeps all items.
    valid_inputs: per evaluated user, the history items[:-2] the validation target follows.
    valid_targets: per evaluated user, items[-2] (int32).
    test_inputs: per evaluated user, the history items[:-1] the test target follows.
    test_targets: per evaluated user, items[-1] (int32).
    eval_user_index: per evaluated user, its index in the original user list.
    num_items: the largest item id (ids run 1..num_items; 0 is padding).
    num_train_only_users: how many users have fewer than MIN_EVAL_LEN items.

  Sequences are full length: nothing is truncated to the model's max length here; the batching
  code keeps each sequence's most recent items.
  """
  train: list[np.ndarray]
  valid_inputs: list[np.ndarray]
  valid_targets: np.ndarray
  test_inputs: list[np.ndarray]
  test_targets: np.ndarray
  eval_user_index: np.ndarray
  num_items: int
  num_train_only_users: int


def leave_one_out(sequences: Sequence[np.ndarray], num_items: int | None = None
                  ) -> LeaveOneOutSplit:
  """Splits per-user item sequences (in time order) leave-one-out.

  For a user with n >= 3 items: test target items[-1] with input items[:-1], validation target
  items[-2] with input items[:-2], and training items[:-2]. Users with fewer than 3 items go
  entirely to training and are not evaluated.

  Args:
    sequences: one array of positive item ids per user.
    num_items: the item vocabulary size; defaults to the largest id in `sequences` and must not
      be smaller than it.
  """
  train, valid_inputs, valid_targets, test_inputs, test_targets, eval_users = [], [], [], [], [], []
  max_id = 0
  for user, seq in enumerate(sequences):
    # One private int32 copy per user; every part below is a view of it.
    items = np.array(seq, dtype=np.int32).ravel()
    if items.size:
      max_id = max(max_id, int(items.max()))
    if items.size < MIN_EVAL_LEN:
      train.append(items)
      continue
    train.append(items[:-2])
    valid_inputs.append(items[:-2])
    valid_targets.append(items[-2])
    test_inputs.append(items[:-1])
    test_targets.append(items[-1])
    eval_users.append(user)

  if num_items is None:
    num_items = max_id
  elif num_items < max_id:
    raise ValueError(f"num_items={num_items} is smaller than the largest item id {max_id}")
  num_train_only = len(train) - len(eval_users)
  if num_train_only:
    log.warning("%d of %d users have fewer than %d items: used for training only, "
                "not evaluated", num_train_only, len(train), MIN_EVAL_LEN)
  else:
    log.info("leave-one-out: all %d users are evaluated", len(train))
  return LeaveOneOutSplit(
      train=train,
      valid_inputs=valid_inputs,
      valid_targets=np.asarray(valid_targets, dtype=np.int32),
      test_inputs=test_inputs,
      test_targets=np.asarray(test_targets, dtype=np.int32),
      eval_user_index=np.asarray(eval_users, dtype=np.int64),
      num_items=int(num_items),
      num_train_only_users=num_train_only,
  )


def summary(split: LeaveOneOutSplit) -> str:
  """A one-line description of `split`."""
  users = len(split.train)
  evaluated = len(split.test_targets)
  train_interactions = sum(len(s) for s in split.train)
  return (f"leave-one-out: {users:,} users ({evaluated:,} evaluated, "
          f"{split.num_train_only_users:,} train-only), {split.num_items:,} items, "
          f"{train_interactions:,} training interactions")
