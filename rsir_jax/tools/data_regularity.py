"""The approximate entropy (rsir_jax.data.regularity) of RSIR runs' data, beside two controls
made of the same real rows: each row shuffled in place (the same items and popularity, no
order) and items drawn uniformly at random (the same row lengths, neither).

  python -m rsir_jax.tools.data_regularity runs/rsir_paper_beauty/seed=0 \\
      --out=runs/data_regularity/table2.json

For each run folder: its real training rows (round 0's data), the two controls, and every
round k >= 1 whose generated rows (round_<k>/dataset.npz) are in the folder, all rows of D_k
and its synthetic rows alone. A round's own ApEn is also in its rounds.json entry (the data
part) for runs made since it was added; this reads the rounds whose data is still on disk.
One row each goes to --out, in the layout of the benchmarks' files (a kind=bench table of
rsir_jax.tools.report).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

import numpy as np

from rsir_jax import logs, storage
from rsir_jax.data.load import load_data
from rsir_jax.data.regularity import approximate_entropies
from rsir_jax.errors import UserError, fail
from rsir_jax.files import Writer
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.provenance import write_rows
from rsir_jax.files.rounds import RoundFiles


def _row(run: str, data: str, label: str, rows: list, synthetic: list | None = None) -> dict:
  """One output row: the set's size and ApEn(1), ApEn(2), and its synthetic part's."""
  apen = approximate_entropies(rows)
  out = {"run": run, "data": data, "rows": label, "count": len(rows),
         "interactions": int(sum(len(r) for r in rows)),
         "ApEn m=1": apen[1], "ApEn m=2": apen[2]}
  if synthetic is not None:
    syn = approximate_entropies(synthetic)
    out.update({"synthetic ApEn m=1": syn[1], "synthetic ApEn m=2": syn[2]})
  return out


def run_rows(run_dir: str, seed: int = 0) -> list[dict]:
  """The rows of one run folder (module docstring); controls drawn with `seed`."""
  config = workdir_lib.read_config(run_dir)
  data = load_data(config.data)
  real = list(data.split.train)
  run, name = os.path.basename(os.path.normpath(run_dir)), config.data.name or data.info["file"]
  rng = np.random.default_rng(seed)
  out = [_row(run, name, "real (D_0)", real),
         _row(run, name, "real, each row shuffled", [rng.permutation(r) for r in real]),
         _row(run, name, "uniform items, real lengths",
              [rng.integers(1, data.split.num_items + 1, len(r)) for r in real])]
  files = RoundFiles(run_dir, Writer(), data.item_ids)
  k = 1
  while storage.exists(storage.join(run_dir, f"round_{k}")):
    if files.has_data(k):
      synthetic = files.synthetic_rows(k)
      out.append(_row(run, name, f"D_{k}", real + synthetic, synthetic))
    k += 1
  return out


def main(argv: Sequence[str] | None = None) -> int:
  """The command line (see the module docstring)."""
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("run_dirs", nargs="+", help="RSIR (or baseline) run folders")
  parser.add_argument("--out", default="", help="JSON file for the rows (empty: print only)")
  parser.add_argument("--seed", type=int, default=0, help="seed of the two controls")
  args = parser.parse_args(argv)
  logs.show_progress()
  try:
    rows = [r for d in args.run_dirs for r in run_rows(d, args.seed)]
  except UserError as e:  # a folder without a run, a data file that cannot be read
    fail(str(e))
  for r in rows:
    print("  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in r.items()))
  write_rows(args.out, rows)
  return 0


if __name__ == "__main__":
  sys.exit(main())
