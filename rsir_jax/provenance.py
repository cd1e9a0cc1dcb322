"""Where a result comes from: the commit of the code, the machine, the date."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess

import jax


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
