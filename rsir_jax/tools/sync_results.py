"""Copies the result files of sweep folders from the checkout a queue runs in to the checkout
where they are committed (scripts/table2_queue.sh calls it after every part).

  python -m rsir_jax.tools.sync_results --to=../main runs/rsir_paper_sports runs/...

Run from the queue's checkout; each folder keeps its relative path under --to. What goes:
  * the result files (JSON, JSONL, CSV, Markdown, PNG), never checkpoints nor generation
    chunks;
  * each unfinished point's newest generated rows (its newest round_<k>/dataset.npz), so that
    a fresh clone goes on from round k's training instead of from round 0 when the machine
    is replaced with only git left; a finished point's rows are dropped from --to.
What is kept in --to:
  * the commands its sweep.json records that the queue's does not (a part run in a folder of
    its own and merged there with rsir_jax.tools.merge_sweeps): the two lists are joined, not
    replaced; two sweep.json files of different sweeps are an error and nothing is copied;
  * a point finished in --to whose copy here is not: its files are left as they are.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import sys
from typing import Sequence

from rsir_jax.errors import UserError
from rsir_jax.files import Writer, read_json
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.sweeps import recorded_commands

RESULT_SUFFIXES = (".json", ".jsonl", ".csv", ".md", ".png")
SKIPPED_FOLDERS = ("checkpoints", "chunks")


class SyncError(UserError):
  """A folder that cannot be synced as asked (a different sweep in --to)."""


def _result_files(folder: str) -> list[str]:
  """The result files under `folder`, relative to it, outside checkpoints and chunks."""
  found = []
  for root, dirs, files in os.walk(folder):
    dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
    found += [os.path.relpath(os.path.join(root, f), folder) for f in sorted(files)
              if f.endswith(RESULT_SUFFIXES)]
  return found


def _round_number(path: str) -> int:
  return int(re.search(r"round_(\d+)", path).group(1))


def _newest_rows(point: str) -> str | None:
  """The newest round_<k>/dataset.npz of the point folder `point`, or None."""
  found = glob.glob(os.path.join(point, "round_*", "dataset.npz"))
  return max(found, key=_round_number) if found else None


def _joined_sweep_json(src: str, dst: str) -> dict:
  """The sweep.json `src` with the commands of `dst` it lacks, dst's first (oldest first)."""
  new = read_json(src)
  if not os.path.exists(dst):
    return new
  old = read_json(dst)
  if old.get("base") != new.get("base") or old.get("points") != new.get("points"):
    raise SyncError(f"{dst} records a different sweep than {src} (its base config or its "
                    "points differ); nothing was copied")
  commands = list(dict.fromkeys(recorded_commands(old) + recorded_commands(new)))
  return {**new, "commands": commands}


def sync_folder(folder: str, to: str) -> dict:
  """Syncs the sweep or run folder `folder` (a relative path) into `to`/`folder` as the
  module docstring says; returns {"files": n copied, "rows": [rows files copied],
  "kept": [points left as they are in `to`]}."""
  dst_folder = os.path.join(to, folder)
  sweep_json = None
  if os.path.exists(os.path.join(folder, "sweep.json")):  # checked before anything is copied
    sweep_json = _joined_sweep_json(os.path.join(folder, "sweep.json"),
                                    os.path.join(dst_folder, "sweep.json"))
  points = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(folder, "*",
                                                                      "config.json")))
  kept = [p for p in points if workdir_lib.is_finished(os.path.join(to, p))
          and not workdir_lib.is_finished(p)]
  copied = 0
  for rel in _result_files(folder):
    src, dst = os.path.join(folder, rel), os.path.join(dst_folder, rel)
    if rel == "sweep.json" or any(src.startswith(p + os.sep) for p in kept):
      continue
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst)
    copied += 1
  if sweep_json is not None:
    Writer().json(os.path.join(dst_folder, "sweep.json"), sweep_json)
    copied += 1
  rows = []
  for point in points:
    if point in kept:
      continue
    newest = None if workdir_lib.is_finished(point) else _newest_rows(point)
    for old in glob.glob(os.path.join(to, point, "round_*", "dataset.npz")):
      if newest is None or os.path.relpath(old, to) != newest:
        os.remove(old)
    if newest is not None:
      shutil.copy2(newest, os.path.join(to, newest))
      rows.append(newest)
  return {"files": copied, "rows": rows, "kept": kept}


def main(argv: Sequence[str] | None = None) -> int:
  """Command line: python -m rsir_jax.tools.sync_results --to=DIR FOLDER [FOLDER ...]."""
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("folders", nargs="+", help="sweep or run folders, relative paths")
  parser.add_argument("--to", required=True, help="the checkout to copy them into")
  args = parser.parse_args(argv)
  for folder in args.folders:
    if os.path.isabs(folder) or folder.startswith(".."):
      print(f"error: {folder}: give the folders relative to this checkout", file=sys.stderr)
      return 2
    if not os.path.isdir(folder):
      continue  # a part not run yet
    try:
      summary = sync_folder(os.path.normpath(folder), args.to)
    except UserError as e:
      print(f"error: {e}", file=sys.stderr)
      return 2
    kept = f"; left as they are there: {', '.join(summary['kept'])}" if summary["kept"] else ""
    print(f"{folder}: {summary['files']} files, {len(summary['rows'])} rows files to "
          f"{args.to}{kept}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
