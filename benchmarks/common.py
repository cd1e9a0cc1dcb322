"""What the benchmarks share: writing their figures to a JSON file that `rsir_jax.report`
turns into a table (kind=bench)."""

from __future__ import annotations

import sys

from rsir_jax.files import Writer
from rsir_jax.provenance import provenance


def write_rows(path: str, rows: list[dict]) -> None:
  """Writes {"command", "provenance", "rows"} to `path` (nothing when `path` is empty)."""
  if path:
    Writer().json(path, {"command": " ".join(["python"] + sys.argv), "provenance": provenance(),
                         "rows": rows})
    print(f"wrote {path}")
