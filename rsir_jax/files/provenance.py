"""Where a result comes from: the commit of the code, the machine, the date, the command;
and the rows files (JSON) that benchmarks and studies write for `rsir_jax.tools.report`
(kind=bench)."""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys

import jax

from rsir_jax.files import Writer


def provenance() -> dict:
  """Where a result comes from: the code's git commit (with '+dirty' for uncommitted
  changes; 'unknown' outside a git checkout), the machine and the date."""
  here = os.path.dirname(os.path.abspath(__file__))
  try:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, text=True,
                            capture_output=True, timeout=10).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                           text=True, capture_output=True, timeout=10).stdout.strip()
  except (OSError, subprocess.SubprocessError):
    commit, dirty = "", ""
  device = jax.devices()[0]
  if device.platform == "cpu":
    machine = f"CPU {platform.machine()}, {os.cpu_count()} cores"
  else:
    machine = f"{device.device_kind} x{jax.device_count()}"
  return {"commit": (commit or "unknown") + ("+dirty" if commit and dirty else ""),
          "machine": machine, "date": datetime.date.today().isoformat()}


def command() -> str:
  """The command line that runs this process, as typed in the repository root: `python -m
  X ...` for a module (never this machine's path to it), each argument quoted for the shell
  where it needs it."""
  spec = getattr(sys.modules["__main__"], "__spec__", None)
  program = ["-m", spec.name] if spec is not None and spec.name else [
      os.path.relpath(sys.argv[0])]
  return " ".join(["python", *program, *map(shlex.quote, sys.argv[1:])])


def write_rows(path: str, rows: list[dict]) -> None:
  """Writes {"command", "provenance", "rows"} to `path` (nothing when `path` is empty)."""
  if path:
    Writer().json(path, {"command": command(), "provenance": provenance(), "rows": rows})
    print(f"wrote {path}")
