"""scripts/table2_queue.sh: each point it runs on its own (--sweep_point), beside a sweep part in
the same folder, is a point of its config's sweep, and its committed folder holds a run of the
config the sweep gives that point (else the run would refuse to resume it)."""

import importlib.util
import os
import re
import shlex

from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.sweeps import point_name
from rsir_jax.run import sweep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "table2_queue.sh")


def _point_runs() -> list[tuple[str, str, str]]:
  """(config variable, sweep workdir, point name) of each `point` line of the script."""
  with open(SCRIPT) as f:
    text = f.read().replace("\\\n", " ")  # continuation lines joined
  runs = []
  for line in text.splitlines():
    words = shlex.split(line.strip(), comments=True)
    if words[:1] == ["point"]:
      runs.append((words[1], words[2], words[3]))
  return runs


def _config_files() -> dict[str, str]:
  """The script's config variables ('$S' -> 'configs/rsir_paper_sports.py')."""
  with open(SCRIPT) as f:
    found = re.findall(r"\b([A-Z])=(configs/\S+?\.py)", f.read())
  return {f"${name}": path for name, path in found}


def _sweep_configs(path: str) -> dict:
  """Point name -> the config `--sweep=config` runs that point with."""
  spec = importlib.util.spec_from_file_location("config_under_test", os.path.join(ROOT, path))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  points = module.get_sweep()
  names = [point_name(p) for p in points]
  configs = sweep.share_round0([sweep.apply_overrides(module.get_config(), p) for p in points],
                               names)
  return dict(zip(names, configs))


def _workdirs() -> dict[str, str]:
  """The script's workdir variables ('$SW' -> 'runs/rsir_paper_sports')."""
  with open(SCRIPT) as f:
    found = re.findall(r"\b([A-Z]W)=(runs/\S+?)(?:;|\s)", f.read())
  return {f"${name}": path for name, path in found}


def test_each_point_run_of_the_queue_is_its_sweep_point():
  runs = _point_runs()
  assert runs, "the queue runs no point on its own"
  files, workdirs = _config_files(), _workdirs()
  for variable, workdir, name in runs:
    path = files[variable]
    expected = _sweep_configs(path)
    assert name in list(expected), f"{name} is not a point of {path}'s sweep"
    point_dir = os.path.join(ROOT, workdirs[workdir], name)
    workdir_lib.check_same_run(point_dir, expected[name])  # a committed folder resumes
