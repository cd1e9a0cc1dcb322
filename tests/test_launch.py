"""The command line: a mistake the user can fix prints one line (no traceback) and exits 2;
Ctrl-C says how to resume; compiled programs go to the persistent cache folder."""

import gc
import os
import signal
import subprocess
import sys
import time

import pytest

from rsir_jax.tools import cli
from tests import tiny

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.slow


def _launch(*args, **popen):
  return subprocess.Popen([sys.executable, "launch.py", *args], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _error_of(*args):
  out, err = _launch(*args).communicate(timeout=300)
  return err


@pytest.mark.parametrize("args, message", [
    (["--config=configs/sasrec_beauty.py", "--config.train.loss=hinge"],
     "error: config.train.loss='hinge': unknown loss"),
    (["--config=configs/sasrec_beauty.py", "--config.train.nope=3"],
     "error: a --config.* override names no config field ('nope')"),
    (["--config=configs/nope.py"], "error: cannot load configs/nope.py: [Errno 2]"),
    (["--config=configs/sasrec_beauty.py:huge"], "error: unknown preset 'huge'"),
    (["--config=configs/sasrec_beauty.py", "--config.data.name=",
      "--config.data.path=/nonexistent/data.txt"], "error: [Errno 2] data file not found"),
])
def test_user_errors_print_one_line_without_a_traceback(tmp_path, args, message):
  proc = _launch(*args, f"--workdir={tmp_path}/run")
  _, err = proc.communicate(timeout=300)
  assert proc.returncode == 2, err
  assert err.strip().splitlines()[-1].startswith(message), err
  assert "Traceback" not in err
  assert not os.path.exists(tmp_path / "run")


def test_a_binary_data_file_is_quoted_short_and_escaped(tmp_path):
  data = tmp_path / "data.bin"
  data.write_bytes(bytes(range(256)) * 4)
  err = _error_of("--config=configs/sasrec_beauty.py", "--config.data.name=",
                  f"--config.data.path={data}", f"--workdir={tmp_path}/run")
  line = err.strip().splitlines()[-1]
  assert line.startswith(f"error: {data}:1: token '") and "\\x00" in line
  assert len(line) < 250 and "Traceback" not in err


def test_a_ctrl_c_dropped_in_a_gc_callback_is_raised_again():
  """Python drops a KeyboardInterrupt raised inside a garbage-collector callback (where a
  Ctrl-C lands if it arrives during one, as with JAX's): within
  dropped_interrupts_raised_again it reaches the code after the collection."""
  def callback(phase, info):
    del info
    if phase == "start":
      raise KeyboardInterrupt  # what the default SIGINT handler does in this frame
  if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
    pytest.skip("SIGINT is not Python's default handler in this process")
  gc.callbacks.append(callback)
  try:
    with cli.dropped_interrupts_raised_again(), pytest.raises(KeyboardInterrupt):
      gc.collect()
      deadline = time.monotonic() + 10
      while time.monotonic() < deadline:  # the signal sent again is raised in this loop
        pass
  finally:
    gc.callbacks.remove(callback)


def test_ctrl_c_says_how_to_resume_and_compiled_steps_are_kept(tmp_path):
  path = tiny.write_tiny_file(tmp_path / "data.txt")
  # Ctrl-C as a terminal sends it: to a process whose SIGINT is not ignored (a test runner
  # started in the background inherits, and would pass on, an ignored SIGINT).
  proc = _launch("--config=configs/sasrec_beauty.py:smoke", "--config.data.name=",
                 f"--config.data.path={path}", "--config.train.max_epochs=100000",
                 "--config.train.patience=100000", f"--workdir={tmp_path}/run",
                 f"--compile_cache={tmp_path}/xla",
                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  for line in proc.stderr:  # progress lines go to stderr
    if "epoch 2 loss" in line:
      break
  proc.send_signal(signal.SIGINT)
  _, err = proc.communicate(timeout=120)
  assert proc.returncode == 130
  assert "interrupted; rerun the same command to resume" in err and "Traceback" not in err
  assert os.listdir(tmp_path / "run" / "checkpoints")
  assert os.listdir(tmp_path / "xla")  # the persistent compilation cache
