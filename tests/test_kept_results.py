"""The run result files kept in git (runs/**/*.json and *.csv, see .gitignore) name no path of
the machine that wrote them: the data file by its name, workdirs and commands relative to the
repository."""

import json
import os
import shlex

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _absolute_paths(text: str) -> list[str]:
  """The tokens of `text` (a flag's value counts as a token) that are absolute paths."""
  try:
    tokens = shlex.split(text)
  except ValueError:  # unbalanced quotes: plain words will do
    tokens = text.split()
  values = [t.split("=", 1)[1] if t.startswith("-") and "=" in t else t for t in tokens]
  return [v for v in values if v.startswith("/") and len(v) > 1]


def _strings(obj):
  if isinstance(obj, dict):
    for v in obj.values():
      yield from _strings(v)
  elif isinstance(obj, list):
    for v in obj:
      yield from _strings(v)
  elif isinstance(obj, str):
    yield obj


def _kept_files():
  for root, dirs, files in os.walk(os.path.join(REPO, "runs")):
    dirs[:] = [d for d in dirs if d != "checkpoints"]
    for name in files:
      if name.endswith((".json", ".csv")):
        yield os.path.join(root, name)


def test_absolute_paths_are_found_in_words_and_flag_values():
  assert _absolute_paths("python launch.py --workdir=/tmp/x 'a b' /data/y.txt") == [
      "/tmp/x", "/data/y.txt"]
  assert _absolute_paths("python launch.py --workdir=runs/x '--sweep_only=seed=0;a=b'") == []


def test_kept_result_files_name_no_absolute_path():
  found = {}
  for path in _kept_files():
    with open(path) as f:
      text = f.read()
    strings = _strings(json.loads(text)) if path.endswith(".json") else [text]
    bad = [p for s in strings for p in _absolute_paths(s)]
    if bad:
      found[os.path.relpath(path, REPO)] = bad[:3]
  assert not found, f"absolute paths in kept result files: {found}"
