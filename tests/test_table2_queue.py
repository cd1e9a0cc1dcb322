"""scripts/table2_queue.sh: the point it runs on its own, beside a sweep part in the same folder,
gets the config the sweep gives that point (else the sweep would refuse the point later)."""

import importlib.util
import os
import re
import shlex

from absl import flags
from ml_collections import config_flags

from rsir_jax.files import workdir as workdir_lib
from rsir_jax.files.sweeps import point_name
from rsir_jax.run import sweep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "table2_queue.sh")


def _point_runs() -> list[tuple[str, str, list[str]]]:
  """(config variable, point name, --config flags) of each `point` line of the script."""
  with open(SCRIPT) as f:
    text = f.read().replace("\\\n", " ")  # continuation lines joined
  runs = []
  for line in text.splitlines():
    words = shlex.split(line.strip(), comments=True)
    if words[:1] == ["point"]:
      runs.append((words[1], words[3], words[4:]))
  return runs


def _config_files() -> dict[str, str]:
  """The script's config variables ('$S' -> 'configs/rsir_paper_sports.py')."""
  with open(SCRIPT) as f:
    found = re.findall(r"\b([A-Z])=(configs/\S+?\.py)", f.read())
  return {f"${name}": path for name, path in found}


def _cli_config(path: str, overrides: list[str]):
  """The config launch.py builds from `--config=path` and the `overrides` flags."""
  argv = ["launch.py", f"--config={os.path.join(ROOT, path)}", *overrides]
  values = flags.FlagValues()  # the override flags are found in argv when the flag is defined
  config_flags.DEFINE_config_file("config", None, "", flag_values=values, sys_argv=argv)
  values(argv)
  return values.config


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


def test_each_point_run_of_the_queue_is_its_sweep_point():
  runs = _point_runs()
  assert runs, "the queue runs no point on its own"
  files = _config_files()
  for variable, name, overrides in runs:
    path = files[variable]
    expected = _sweep_configs(path)
    assert name in list(expected), f"{name} is not a point of {path}'s sweep"
    differences = workdir_lib.config_differences(expected[name].to_dict(),
                                                 _cli_config(path, overrides).to_dict())
    assert differences == [], f"{name}: {differences}"
