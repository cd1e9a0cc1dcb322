"""What the benchmarks share: writing their figures to a JSON file that `rsir_jax.report`
turns into a table (kind=bench)."""

from __future__ import annotations

import os
import sys

from rsir_jax.files import Writer
from rsir_jax.provenance import provenance


def write_rows(path: str, rows: list[dict]) -> None:
  """Writes {"command", "provenance", "rows"} to `path` (nothing when `path` is empty)."""
  if path:
    Writer().json(path, {"command": command(), "provenance": provenance(), "rows": rows})
    print(f"wrote {path}")


def command() -> str:
  """The command line that runs this process, as typed in the repository root: `python -m
  benchmarks.X ...` for a module (never this machine's path to it)."""
  spec = getattr(sys.modules["__main__"], "__spec__", None)
  program = ["-m", spec.name] if spec is not None and spec.name else [
      os.path.relpath(sys.argv[0])]
  return " ".join(["python", *program, *sys.argv[1:]])
