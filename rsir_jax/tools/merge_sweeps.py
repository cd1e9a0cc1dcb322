"""One sweep folder from the parts of a grid run in separate folders (e.g. one process per
part on a GPU: scripts/gpu_check.sh gives each `--sweep_only` part its own workdir).

  python -m rsir_jax.tools.merge_sweeps --into=runs/augment_baselines_sports \\
      OUT/augment_baselines_sports.part0 OUT/augment_baselines_sports.part1 ...

Every part must be the same sweep (equal base config and points in its sweep.json). Each
point folder is copied into `--into`: a finished point (with results.json) wins over an
unfinished one; two finished copies of one point are an error (which one is the result?),
unless one of them is already in `--into` and `--keep_existing` is given. The parts'
recorded commands are kept with their workdir replaced by `--into`, and so are the paths in
the copied JSON files, so that the folder reads as if the sweep had run there
(rsir_jax.tools.report reads it like any sweep). A point's own round 0 link (rsir.round0_dir) is
relative, so it holds in the new folder too. The summary (sweep.csv, .md, plots) is
rewritten from the finished points.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from typing import Any, Sequence

from rsir_jax import storage
from rsir_jax.errors import UserError
from rsir_jax.files import Writer, read_json
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.sweeps import point_name, recorded_commands, write_summary


class MergeError(UserError):
  """Parts that are not one sweep, or two finished copies of one point."""


def _recorded_workdir(commands: Sequence[str]) -> str:
  """The --workdir a part's commands ran with ('' when none says)."""
  for command in commands:
    for arg in shlex.split(command):
      if arg.startswith("--workdir="):
        return arg.split("=", 1)[1]
  return ""


def _replace_root(obj: Any, old: str, new: str) -> Any:
  """`obj` with every string that is `old` or starts with `old/` rebased on `new`."""
  if isinstance(obj, dict):
    return {k: _replace_root(v, old, new) for k, v in obj.items()}
  if isinstance(obj, list):
    return [_replace_root(v, old, new) for v in obj]
  if isinstance(obj, str) and old and (obj == old or obj.startswith(old + "/")):
    return new + obj[len(old):]
  return obj


def _rebase_command(command: str, old: str, new: str) -> str:
  """`command` with its --workdir=`old` made --workdir=`new`."""
  args = [f"--workdir={new}" if a == f"--workdir={old}" else a for a in shlex.split(command)]
  return shlex.join(args)


def _copy_point(src: str, dst: str, old_root: str, new_root: str) -> None:
  """Copies a point folder (without its lock) and rebases the paths in its JSON files:
  locally into a temporary folder renamed into place; on a bucket, which has no rename,
  straight into place (a merge stopped halfway is rerun)."""
  remote = storage.is_remote(dst) or storage.is_remote(src)
  tmp = dst if remote else dst + ".merging"
  storage.rmtree(tmp)
  if remote:  # results.json last: a point stopped halfway is not taken for finished
    storage.copytree(src, tmp, skip=lambda rel: rel.split("/")[0].startswith(".lock")
                     or rel == "results.json")
  else:
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns(".lock"))
  writer = Writer()
  for rel in storage.walk_files(tmp):
    if rel.endswith(".json"):
      path = storage.join(tmp, rel)
      writer.json(path, _replace_root(read_json(path), old_root, new_root))
  if remote and storage.exists(storage.join(src, "results.json")):
    writer.json(storage.join(dst, "results.json"),
                _replace_root(read_json(storage.join(src, "results.json")), old_root, new_root))
  if not remote:
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)


def merge_sweeps(parts: Sequence[str], into: str, keep_existing: bool = False) -> dict:
  """Merges the sweep folders `parts` into `into` (see the module docstring); returns
  {"copied": [point names], "finished": n, "points": n}."""
  if not parts:
    raise MergeError("give at least one part folder to merge")
  sweeps = []
  for part in parts:
    path = storage.join(part, "sweep.json")
    if not storage.exists(path):
      raise MergeError(f"{part} is not a sweep folder (no sweep.json)")
    sweeps.append(read_json(path))
  target_json = storage.join(into, "sweep.json")
  merging_into_a_sweep = storage.exists(target_json)
  reference = read_json(target_json) if merging_into_a_sweep else sweeps[0]
  reference_name = into if merging_into_a_sweep else parts[0]
  for part, sweep in zip(parts, sweeps):
    if sweep["base"] != reference["base"] or sweep["points"] != reference["points"]:
      raise MergeError(f"{part} is not the same sweep as {reference_name} (its base config "
                       "or its points differ)")
  names = [point_name(p) for p in reference["points"]]

  # Which copy of each point goes in: a finished one, else the first part's.
  chosen: dict[str, str] = {}  # point name -> the part whose copy goes in
  for part in parts:
    for name in names:
      if not storage.isdir(storage.join(part, name)):
        continue
      if name not in chosen:
        chosen[name] = part
        continue
      finished_here = workdir_lib.is_finished(storage.join(part, name))
      finished_before = workdir_lib.is_finished(storage.join(chosen[name], name))
      if finished_here and finished_before:
        raise MergeError(f"point {name} is finished in both {chosen[name]} and {part}")
      if finished_here:
        chosen[name] = part

  # Every conflict is found before anything is copied: a merge that stops changes nothing.
  plan = []
  for name, part in chosen.items():
    src, dst = storage.join(part, name), storage.join(into, name)
    if storage.isdir(dst) and workdir_lib.is_finished(dst):
      if workdir_lib.is_finished(src) and not keep_existing:
        raise MergeError(f"point {name} is finished in {into} already and in {part}; "
                         "pass --keep_existing to keep the one in place")
      continue
    plan.append((name, part))
  old_roots = {part: _recorded_workdir(recorded_commands(sweep))
               for part, sweep in zip(parts, sweeps)}
  for name, part in plan:
    _copy_point(storage.join(part, name), storage.join(into, name), old_roots[part], into)

  commands = recorded_commands(reference) if merging_into_a_sweep else []
  for part, sweep in zip(parts, sweeps):
    commands += [_rebase_command(c, old_roots[part], into) for c in recorded_commands(sweep)]
  commands = list(dict.fromkeys(commands))
  Writer().json(target_json, {"base": reference["base"], "points": reference["points"],
                              "command": commands[-1] if commands else "",
                              "commands": commands})
  point_dirs = [storage.join(into, n) for n in names]
  done = [(p, read_json(storage.join(d, "results.json")))
          for p, d in zip(reference["points"], point_dirs) if workdir_lib.is_finished(d)]
  if done:
    write_summary(into, [p for p, _ in done], [r for _, r in done], Writer())
  return {"copied": [name for name, _ in plan], "finished": len(done),
          "points": len(names)}


def main(argv: Sequence[str] | None = None) -> int:
  """Command line: python -m rsir_jax.tools.merge_sweeps --into=DIR PART [PART ...]."""
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("parts", nargs="+", help="the part sweep folders")
  parser.add_argument("--into", required=True, help="the sweep folder to merge them into")
  parser.add_argument("--keep_existing", action="store_true",
                      help="keep a point finished in --into when a part has it finished too")
  args = parser.parse_args(argv)
  try:
    summary = merge_sweeps(args.parts, args.into, args.keep_existing)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  print(f"{len(summary['copied'])} point folders copied into {args.into}; "
        f"{summary['finished']} of {summary['points']} points finished there")
  return 0


if __name__ == "__main__":
  sys.exit(main())
