"""Sweeps: one experiment per point of a grid of config overrides, each in its own subfolder
of the sweep's workdir, with a summary across the points.

  python launch.py --config=configs/rsir_sasrec_beauty.py --config.rsir.rounds=1 \
      --sweep='rsir.tau=1,5,20,100' --workdir=runs/tau_sweep
  --sweep='rsir.tau=5,20;rsir.p=0.2,0.5'   the cartesian product of several fields
  --sweep=config                           the points of the config file's get_sweep()
  --sweep_only='seed=1;model.name=sasrec'  of those, run only the matching points
  --sweep_point='rsir.tau=5'               only that point, beside a part running others

Points run one after another in this process (evaluation and generation reuse their
compiled functions wherever the shapes are equal). Rerunning resumes the unfinished point and
skips finished ones. RSIR points that share a round 0 (the same config outside the rsir
section, e.g. a sweep over tau) train it once: the later ones get `rsir.round0_dir` pointing
at the first. The summary (`sweep.csv`, `sweep.md`, `sweep_<metric>.png`) is rewritten after
every point; `sweep.json` records the base config, the points and the commands run on it.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import json
import logging
import os
from typing import Any, Sequence

import ml_collections

from rsir_jax import parallel, storage
from rsir_jax.config import paths
from rsir_jax.errors import UserError
from rsir_jax.files import Writer, read_json
from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.rounds import round_trained
from rsir_jax.files.sweeps import point_name, recorded_commands, write_summary
from rsir_jax.run import check as config_check
from rsir_jax.run import experiment

log = logging.getLogger(__name__)

class SweepError(UserError, ValueError):
  """A sweep specification is invalid."""


def _field(config: ml_collections.ConfigDict, path: str):
  try:
    return paths.get(config, path)
  except paths.FieldPathError as e:
    raise SweepError(f"sweep {e}") from None


def _parse_value(path: str, text: str, like: Any):
  text = text.strip()
  try:
    if isinstance(like, bool):
      if text.lower() not in ("true", "false"):
        raise ValueError
      return text.lower() == "true"
    if isinstance(like, int):
      return int(text)
    if isinstance(like, float):
      return float(text)
    if isinstance(like, str):
      return text
  except ValueError:
    pass
  raise SweepError(f"sweep value {text!r} for {path} is not a {type(like).__name__}")


def parse_grid(spec: str, config: ml_collections.ConfigDict) -> list[dict]:
  """'a.b=1,2;c.d=x,y' -> the 4 override dicts of the cartesian product, values typed like
  the config's fields."""
  fields, choices = [], []
  for part in (p.strip() for p in spec.split(";")):
    if not part:
      continue
    path, sep, values = part.partition("=")
    path = path.strip()
    if not sep or not values.strip():
      raise SweepError(f"sweep part {part!r} must look like field=value1,value2")
    like = _field(config, path)
    fields.append(path)
    choices.append([_parse_value(path, v, like) for v in values.split(",")])
  if not fields:
    raise SweepError(f"empty sweep {spec!r}")
  return [dict(zip(fields, combo)) for combo in itertools.product(*choices)]


def apply_overrides(config: ml_collections.ConfigDict,
                    overrides: dict) -> ml_collections.ConfigDict:
  """A copy of `config` with the dotted-path `overrides` set (SweepError for a path that
  names no field)."""
  for path in overrides:
    _field(config, path)
  return paths.apply_overrides(config, overrides)


def parse_filter(spec: str, config: ml_collections.ConfigDict) -> dict:
  """'a.b=1,2;c.d=x' -> {'a.b': [1, 2], 'c.d': ['x']}: the values a point's field may take
  to be selected, typed like the config's fields ('' selects every point: {})."""
  wanted = {}
  for part in (p for p in spec.split(";") if p.strip()):
    points = parse_grid(part, config)  # one field: [{path: v1}, {path: v2}, ...]
    (path,) = points[0]
    wanted[path] = [point[path] for point in points]
  return wanted


def selected(config: ml_collections.ConfigDict, wanted: dict) -> bool:
  """Whether `config` (a point's full config) has one of the wanted values in every field of
  `wanted` (parse_filter's output)."""
  return all(_field(config, path) in values for path, values in wanted.items())


def points_from_config_file(path: str, preset: str = "") -> list[dict]:
  """The points of `get_sweep(preset)` in the config file at `path` (of `get_sweep()` when it
  takes no argument: the same points for every preset): a list of override dicts."""
  spec = importlib.util.spec_from_file_location("sweep_config", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  if not hasattr(module, "get_sweep"):
    raise SweepError(f"{path} defines no get_sweep(); pass --sweep='field=v1,v2' instead")
  takes_preset = bool(inspect.signature(module.get_sweep).parameters)
  return [dict(p) for p in (module.get_sweep(preset) if takes_preset else module.get_sweep())]


def share_round0(configs: Sequence[ml_collections.ConfigDict], names: Sequence[str]
                 ) -> list[ml_collections.ConfigDict]:
  """Copies of `configs` in which every RSIR point whose round 0 an earlier point also
  trains (the same config outside the rsir section, no rsir.round0_dir of its own) takes
  that point's round 0 (`rsir.round0_dir` = '../<its name>')."""
  owners, out = {}, []
  for config, name in zip(configs, names):
    signature = json.dumps({k: v for k, v in workdir_lib.comparable(config.to_dict()).items()
                            if not k.startswith("rsir.")}, sort_keys=True)
    config = ml_collections.ConfigDict(config.to_dict())
    if not config.rsir.round0_dir:
      if signature in owners and config.rsir.rounds:
        config.rsir.round0_dir = os.path.join("..", owners[signature])
      owners.setdefault(signature, name)
    out.append(config)
  return out


def _commands_so_far(workdir: str, command: str) -> list[str]:
  """Every distinct command run on the sweep in `workdir`, oldest first, `command` last if
  new: parts of a grid run with different --sweep_only each add theirs."""
  path = storage.join(workdir, "sweep.json")
  old = recorded_commands(read_json(path)) if storage.exists(path) else []
  return list(dict.fromkeys(old + ([command] if command else [])))


def _point_configs(config: ml_collections.ConfigDict, points: Sequence[dict]
                   ) -> tuple[list[str], list[ml_collections.ConfigDict]]:
  """The points' folder names and the configs the sweep runs them with (round 0 shared, see
  share_round0), every one validated before any point runs."""
  if not points:
    raise SweepError("a sweep needs at least one point")
  names = [point_name(p) for p in points]
  if len(set(names)) < len(names):
    repeated = sorted(n for n in set(names) if names.count(n) > 1)
    raise SweepError(f"a sweep's points must differ; repeated: {repeated}")
  configs = share_round0([apply_overrides(config, p) for p in points], names)
  for c in configs:
    config_check.validate(c)
  return names, configs


def run_sweep(config: ml_collections.ConfigDict, points: Sequence[dict], workdir: str,
              command: str = "", only: str = "") -> list[dict]:
  """Runs (or resumes, or skips when finished) every point in `workdir/<point name>`;
  returns the results of the points that have them and writes the summary after each point.
  `only` ('field=v1,v2;...', see parse_filter) runs just the matching points; the others
  keep their results when finished earlier and are left out otherwise, except the point
  whose round 0 a selected point shares, which runs too unless its round 0 is finished.
  `command` (the command line) is recorded in sweep.json."""
  names, configs = _point_configs(config, points)
  storage.check_reachable(workdir, "--workdir")
  wanted = parse_filter(only, config)
  chosen = [selected(c, wanted) for c in configs]
  if not any(chosen):
    raise SweepError(f"--sweep_only={only!r} matches none of the {len(points)} points")
  finished = [workdir_lib.is_finished(storage.join(workdir, n)) for n in names]
  # A selected point whose shared round 0 is trained by a point the filter leaves out (and
  # whose round 0 has not finished) brings that point along: a part of a grid stands on its
  # own, e.g. one process per part on a GPU, each in its own workdir. Owners have no owner
  # themselves. An owner whose round 0 is done but whose later rounds are not stays out: the
  # selected point takes that round 0 (or trains it again when its model was not kept, see
  # round_training.training_source) without waiting for the owner's other rounds.
  owners = [names.index(o) if (o := os.path.basename(c.rsir.round0_dir)) in names else None
            for c in configs]
  for i, j in enumerate(owners):
    if (chosen[i] and j is not None and not (chosen[j] or finished[j])
        and not round_trained(storage.join(workdir, names[j]), 0)):
      chosen[j] = True
      log.info("sweep point %s runs too: %s takes its round 0 from it", names[j], names[i])
  writer = Writer(parallel.is_primary())
  with workdir_lib.locked(workdir, writer.primary):
    writer.json(storage.join(workdir, "sweep.json"),
                {"base": config.to_dict(), "points": list(points), "command": command,
                 "commands": _commands_so_far(workdir, command)})
    # Every finished point is in the summary from the start, not only those before the
    # point now running: a summary copied mid-sweep (sync_results) lists all of them.
    results = {}
    for i, name in enumerate(names):
      if finished[i]:
        point_dir = storage.join(workdir, name)
        workdir_lib.check_same_run(point_dir, configs[i])
        results[i] = read_json(storage.join(point_dir, "results.json"))
        log.info("sweep point %d/%d %s: finished earlier", i + 1, len(points), name)
    _summarize(workdir, points, results, writer)
    for i, (name, c) in enumerate(zip(names, configs)):
      if i in results:
        continue
      if not chosen[i]:
        log.info("sweep point %d/%d %s: not selected by --sweep_only", i + 1, len(points), name)
        continue
      log.info("sweep point %d/%d %s", i + 1, len(points), name)
      results[i] = experiment.run(c, storage.join(workdir, name))
      _summarize(workdir, points, results, writer)
  return [results[i] for i in sorted(results)]


def _summarize(workdir: str, points: Sequence[dict], results: dict[int, dict],
               writer: Writer) -> None:
  """The summary over the points with results (by their index in `points`), in grid order."""
  if results:
    order = sorted(results)
    write_summary(workdir, [points[i] for i in order], [results[i] for i in order], writer)


def run_point(config: ml_collections.ConfigDict, points: Sequence[dict], workdir: str,
              name: str) -> dict:
  """Runs (or resumes) the one point `name` of the sweep in `workdir/<name>`, with the config
  the sweep gives it (its round-0 link included), and returns its results. It holds the
  point's own lock, not the sweep folder's, so it can run beside a sweep part that works on
  the folder's other points (e.g. one process per core); the sweep's files (sweep.json, the
  summary) are left to the sweep's next run, which lists the point once it has finished.
  SweepError for a name that is none of the points, or whose round 0 is another point's that
  has not finished it (run that point first: a point run on its own brings nothing along)."""
  names, configs = _point_configs(config, points)
  if name not in names:
    listed = ", ".join(names[:6]) + (f", ... ({len(names)} in all)" if len(names) > 6 else "")
    raise SweepError(f"--sweep_point={name!r} is none of the sweep's points: {listed}")
  point_config = configs[names.index(name)]
  owner = os.path.basename(point_config.rsir.round0_dir)
  storage.check_reachable(workdir, "--workdir")
  if owner in names and not round_trained(storage.join(workdir, owner), 0):
    raise SweepError(f"sweep point {name} takes its round 0 from the point {owner}, whose "
                     f"round 0 is not finished in {workdir}; run that point first")
  log.info("sweep point %s on its own", name)
  return experiment.run(point_config, storage.join(workdir, name))
