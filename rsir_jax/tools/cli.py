"""What `launch.py` does with its parsed flags: run one experiment or a sweep, print the
summary, and turn the errors a user can fix into one message each (no traceback) and Ctrl-C
into a hint that rerunning resumes. Anything else is a bug and keeps its traceback."""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
import threading

import jax
import ml_collections

from rsir_jax import logs, storage
from rsir_jax.errors import UserError, fail
from rsir_jax.files import provenance
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.run import experiment, sweep

EXIT_INTERRUPTED = 130
DEFAULT_COMPILE_CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "rsir_jax",
                                     "xla")


def flag_error(e: Exception) -> str:
  """One line for an exception raised while parsing the command line: a config file that
  fails to load (its own error's message), an unknown field in a --config.* override, or
  absl's message for anything else."""
  text = str(e)
  if "Error whilst parsing config file" in text:  # get_config raised; absl keeps only text
    last = [line.strip() for line in text.splitlines() if line.strip()][-1]
    name, _, message = last.partition(": ")
    return message if name.startswith("rsir_jax.") else text  # ours: the message; a bug: all
  if isinstance(e, (AttributeError, KeyError)):
    return (f"a --config.* override names no config field ({text.strip(chr(34))}); the "
            "fields are listed in rsir_jax/config/fields.py")
  if "Failed loading config file" in text:
    path = next((line.strip() for line in text.splitlines() if line.strip().endswith(".py")),
                "the config file")
    return f"cannot load {path}: {text.strip().splitlines()[-1].strip()}"
  return text


def default_sweep_workdir(config: ml_collections.ConfigDict, config_arg: str, spec: str) -> str:
  """runs/<config file name>[_<preset>] for a config file's own sweep; for a sweep given on
  the command line, the run's default workdir with '_sweep' appended."""
  if spec == "config":
    path, _, preset = config_arg.partition(":")
    name = os.path.splitext(os.path.basename(path))[0] + (f"_{preset}" if preset else "")
    return os.path.join("runs", name)
  return workdir_lib.default_workdir(config) + "_sweep"


def run(config: ml_collections.ConfigDict, config_arg: str, workdir: str | None,
        spec: str = "", command: str = "", only: str = "", point: str = "") -> None:
  """Runs the experiment (or the sweep `spec`: 'field=v1,v2[;...]' or 'config', restricted
  to the points matching `only` when given, or only its point named `point`) and prints its
  summary."""
  if only and not spec:
    raise sweep.SweepError("--sweep_only selects points of a sweep; it needs --sweep")
  if point and not spec:
    raise sweep.SweepError("--sweep_point names a point of a sweep; it needs --sweep")
  if point and only:
    raise sweep.SweepError("--sweep_point runs one point, --sweep_only a part of the sweep: "
                           "give one of them")
  if not spec:
    print(experiment.summary(experiment.run(config, workdir)))
    return
  path, _, preset = config_arg.partition(":")
  points = (sweep.points_from_config_file(path, preset) if spec == "config"
            else sweep.parse_grid(spec, config))
  workdir = workdir or default_sweep_workdir(config, config_arg, spec)
  if point:
    print(experiment.summary(sweep.run_point(config, points, workdir, point)))
    return
  sweep.run_sweep(config, points, workdir, command=command, only=only)
  print(storage.read_text(storage.join(workdir, "sweep.md")))


def use_compile_cache(folder: str) -> None:
  """Keeps XLA's compiled programs in `folder` (created if missing; '' = off), so a rerun or
  the next run of the same shapes skips compilation. Call before anything is compiled. A
  gs:// folder (one cache for every worker of a pod slice) is read and written by JAX
  through etils.epath; its bucket is checked first (storage.check_reachable)."""
  if not folder:
    return
  if storage.is_remote(folder):
    storage.check_reachable(folder, "--compile_cache")
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
    return
  folder = os.path.expanduser(folder)
  try:
    os.makedirs(folder, exist_ok=True)
  except OSError as e:  # e.g. a read-only home: run without the cache rather than fail
    print(f"warning: no compilation cache ({e})", file=sys.stderr)
    return
  jax.config.update("jax_compilation_cache_dir", folder)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)


@contextlib.contextmanager
def dropped_interrupts_raised_again():
  """Within it, a Ctrl-C that Python drops is raised again. Python raises KeyboardInterrupt in
  whatever code runs when SIGINT arrives; inside a garbage-collector callback (JAX registers
  one) or a __del__, the exception is printed as "Exception ignored in ..." and dropped, and
  the run went on as if no key had been pressed (seen in CI: a run trained on for 2 minutes
  after its Ctrl-C). Such a dropped exception reaches sys.unraisablehook: there the signal is
  marked as arrived again, from a timer thread, to be raised in the main thread's Python code
  after the hook (only the main thread handles signals, so only it can have dropped one; marked
  from the hook itself, it is raised at once, inside the hook, and dropped again)."""
  previous = sys.unraisablehook

  def hook(unraisable):
    if unraisable.exc_type is None or not issubclass(unraisable.exc_type, KeyboardInterrupt):
      previous(unraisable)
      return
    # A moment later: marked at once, it is raised while this hook waits for the thread.
    timer = threading.Timer(0.05, _thread.interrupt_main, args=(signal.SIGINT,))
    timer.daemon = True
    timer.start()

  sys.unraisablehook = hook
  try:
    yield
  finally:
    sys.unraisablehook = previous


def main(config, config_arg: str, workdir: str | None, spec: str = "",
         compile_cache: str = "", only: str = "", point: str = "") -> int:
  """`run` with the command line's error handling; returns the process's exit code.
  `compile_cache`: see use_compile_cache; `only`: --sweep_only (see sweep.parse_filter);
  `point`: --sweep_point (see sweep.run_point)."""
  logs.show_progress()
  try:
    use_compile_cache(compile_cache)
    # Quoted for the shell, so a recorded --sweep_only='a=1;b=2' can be pasted back as it is.
    with dropped_interrupts_raised_again():
      run(config, config_arg, workdir, spec, command=provenance.command(), only=only,
          point=point)
  except UserError as e:
    fail(str(e))
  except KeyboardInterrupt:
    print("\ninterrupted; rerun the same command to resume", file=sys.stderr)
    return EXIT_INTERRUPTED
  return 0
