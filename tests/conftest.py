"""Shared fixtures (the tiny config and data live in tiny.py; a local Cloud Storage server and
fresh buckets for the gs:// tests), the `slow` marker, XLA compiler flags that compile the
tests' programs ten times as fast, and one compilation cache for the session and all its
pytest-xdist workers (pytest.ini runs the files on up to four worker processes; `-n 0` runs
them in this one)."""

import atexit
import itertools
import os
import shutil
import tempfile

_GIVEN_FLAGS_VAR = "RSIR_TESTS_GIVEN_XLA_FLAGS"


def full_compile() -> bool:
  """Whether the tests run under XLA's default compiler (RSIR_TESTS_FULL_COMPILE=1)."""
  return os.environ.get("RSIR_TESTS_FULL_COMPILE") == "1"


def full_compile_env() -> dict:
  """The environment for a subprocess that runs under XLA's default compiler (for a test of
  a property that holds there, such as bit-identical programs): the flags as given."""
  return {**os.environ, "RSIR_TESTS_FULL_COMPILE": "1",
          "XLA_FLAGS": os.environ.get(_GIVEN_FLAGS_VAR, "")}


def _compile_fast() -> None:
  """The tests build hundreds of small programs, and XLA's CPU compiler spent most of the
  suite's time on them: 12 s to compile the tiny model's train step with LLVM's
  optimisations and the CPU fusion emitters, 1.2 s with neither (either alone leaves 4 to
  13 s); on 2 cores the suite took 1212 s before, 506 s after (from a clean clone). The programs
  compute the same things, though not always to the last bit: the tiny RSIR round's metrics
  and kept trajectories came out identical both ways, while a lax.scan of train steps and
  the same steps one per call round differently here (test_trainer runs that test under the
  default compiler in a process of its own). RSIR_TESTS_FULL_COMPILE=1 keeps XLA's defaults.
  Set before JAX starts its CPU backend; the xdist workers and the subprocesses the tests
  start inherit it."""
  flags = os.environ.get("XLA_FLAGS", "")
  os.environ.setdefault(_GIVEN_FLAGS_VAR, flags)  # as the user gave them (first process)
  if full_compile():
    return
  for flag in ("--xla_backend_optimization_level=0", "--xla_cpu_use_fusion_emitters=false"):
    if flag.split("=")[0] not in flags:
      flags = f"{flags} {flag}".strip()
  os.environ["XLA_FLAGS"] = flags


_compile_fast()

import jax  # noqa: E402  (after the compiler flags are set)
import pytest

from tests import tiny

_CACHE_VAR = "RSIR_TESTS_XLA_CACHE"
_BUCKETS = itertools.count()


def pytest_configure(config):
  config.addinivalue_line("markers", "slow: end-to-end runs on real data or in subprocesses")
  # Several test processes (xdist workers) may share one GPU: none may take most of its
  # memory up front, as JAX does by default. Read when the first array is made, after this.
  os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
  _share_compiled_programs()


def _share_compiled_programs():
  """Most tests build the same tiny programs again (each builds its own jitted step), and
  compiling them is most of the suite's time: a persistent compilation cache in a fresh
  folder, removed at exit, lets later tests, the other pytest-xdist workers and the
  subprocess workers reuse them. Programs are the same with or without it; a test of the
  cache itself passes its own folder."""
  folder = os.environ.get(_CACHE_VAR)
  if folder is None:  # the first pytest process (xdist's controller): it owns the folder
    folder = tempfile.mkdtemp(prefix="rsir_jax_tests_xla_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ[_CACHE_VAR] = folder  # inherited by the xdist workers it starts
  jax.config.update("jax_compilation_cache_dir", folder)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
  os.environ["JAX_COMPILATION_CACHE_DIR"] = folder  # subprocesses (test_parallel, launch)
  os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"


@pytest.fixture(scope="session")
def tiny_data():
  """The tiny dataset as loaded Data (tiny.py), shared by every test of the session."""
  return tiny.tiny_data()


def beauty_available() -> bool:
  """Whether the real Beauty file is in RSIR_DATA_DIR (CI points it at shared/data)."""
  data_dir = os.environ.get("RSIR_DATA_DIR", "")
  return any(os.path.exists(os.path.join(data_dir, n))
             for n in ("beauty.txt.gz", "Beauty.txt", "beauty.txt", "Beauty.txt.gz"))


@pytest.fixture(scope="session")
def gcs():
  """A local Google Cloud Storage server (tests/gcs_server.py) for this test process, with
  the environment pointing every client (and every subprocess) at it."""
  from tests import gcs_server  # pylint: disable=g-import-not-at-top
  server = gcs_server.GcsServer()
  saved = {k: os.environ.get(k) for k in server.env}
  gcs_server.apply_env(server.env)
  yield server
  server.stop()
  for k, v in saved.items():
    if v is None:
      os.environ.pop(k, None)
    else:
      os.environ[k] = v


@pytest.fixture
def bucket(gcs):
  """A fresh bucket on the local server: its gs:// URL."""
  name = f"test-{os.getpid()}-{next(_BUCKETS)}"
  gcs.create_bucket(name)
  return f"gs://{name}"
