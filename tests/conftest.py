"""Shared fixtures (the tiny config and data live in tiny.py) and the `slow` marker."""

import os

import pytest

from tests import tiny


def pytest_configure(config):
  config.addinivalue_line("markers", "slow: end-to-end runs on real data or in subprocesses")


@pytest.fixture(scope="session")
def tiny_data():
  """The tiny dataset as loaded Data (tiny.py), shared by every test of the session."""
  return tiny.tiny_data()


def beauty_available() -> bool:
  """Whether the real Beauty file is in RSIR_DATA_DIR (CI points it at shared/data)."""
  data_dir = os.environ.get("RSIR_DATA_DIR", "")
  return any(os.path.exists(os.path.join(data_dir, n))
             for n in ("beauty.txt.gz", "Beauty.txt", "beauty.txt", "Beauty.txt.gz"))
