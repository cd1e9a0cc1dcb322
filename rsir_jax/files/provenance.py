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


def cpu_description(cpuinfo: str = "/proc/cpuinfo") -> dict:
  """The host CPU as `cpuinfo` names it, with its family and model numbers (some virtual
  machines name only the vendor's line: 'AMD EPYC'), and whether it has AVX-512; 'unknown'
  where there is no such file. XLA compiles for the CPU it runs on, and a round's
  generation can differ in a few items from one CPU model to another (docs/results.md,
  section 10), so a result says which it ran on."""
  fields = {}
  try:
    with open(cpuinfo) as f:
      for line in f:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
  except OSError:
    pass
  name = fields.get("model name", "unknown")
  if "cpu family" in fields:
    name += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
  return {"cpu": name, "avx512": "avx512f" in fields.get("flags", "").split()}


def provenance() -> dict:
  """Where a result comes from: the code's git commit (with '+dirty' for uncommitted
  changes; 'unknown' outside a git checkout), the machine, the date, the host CPU
  (cpu_description) and the cores this process may run on (`taskset` pins a queue lane to
  one)."""
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
          "machine": machine, "date": datetime.date.today().isoformat(),
          "cpu": cpu_description()["cpu"], "cores_used": len(os.sched_getaffinity(0))}


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
