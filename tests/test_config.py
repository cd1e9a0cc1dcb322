"""Configs: every file loads, presets apply, invalid values and impossible sizes fail naming
the field, a workdir refuses another config's run."""

import glob
import importlib.util
import json
import os

import pytest

from rsir_jax import config as config_lib
from rsir_jax import parallel
from rsir_jax.files.workdir import WorkdirError, check_same_run, default_workdir
from rsir_jax.run import check as config_check
from rsir_jax.run import sweep
from tests import tiny

CONFIG_DIR = os.path.join(os.path.dirname(__file__), "..", "configs")


def _load(path):
  spec = importlib.util.spec_from_file_location("cfg", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(CONFIG_DIR, "*.py"))))
def test_every_config_file_is_valid_and_documented(path):
  module = _load(path)
  assert "python launch.py --config=configs/" in module.__doc__
  for preset in getattr(module, "PRESETS", ("", "smoke")):
    config = module.get_config(preset)
    config_check.validate(config)
    if hasattr(module, "get_sweep"):
      points = sweep.points_from_config_file(path, preset)
      for c in sweep.share_round0([sweep.apply_overrides(config, p) for p in points],
                                  [sweep.point_name(p) for p in points]):
        config_check.validate(c)


@pytest.mark.parametrize("field, value, message", [
    ("model.dim", -8, "config.model.dim=-8"),
    ("model.num_heads", 3, "config.model.num_heads=3"),
    ("model.dropout", 1.5, "config.model.dropout"),
    ("train.loss", "hinge", "config.train.loss='hinge'"),
    ("train.batch_size", 0, "config.train.batch_size=0"),
    ("train.lr", 0.0, "config.train.lr"),
    ("data.name", "netflix", "config.data.name='netflix'"),
    ("data.format", "csv", "config.data.format"),
    ("eval.ks", (5, 10), "config.eval.ks"),
    ("rsir.sources", "synthetic", "config.rsir.sources='synthetic'"),
    ("model.max_len", 1, "config.model.max_len=1"),
    ("model.name", "bert4rec", "config.model.name='bert4rec'"),
    ("train.negatives", "per_batch", "config.train.negatives='per_batch'"),
    ("rsir.dedup", "none", "config.rsir.dedup='none'"),
    ("rsir.targets", "all", "config.rsir.targets='all'"),
    ("rsir.generate_only", True, "config.rsir.generate_only=True"),
    ("train.steps_per_call", 0, "config.train.steps_per_call=0"),
    ("train.negatives_chunk", -2, "config.train.negatives_chunk=-2"),
    ("rsir.slots", -3, "config.rsir.slots=-3"),
])
def test_invalid_values_name_the_field(field, value, message):
  c = config_lib.get_base_config()
  section, name = field.split(".")
  c[section][name] = value
  with pytest.raises(config_check.ConfigError) as err:
    config_check.validate(c)
  assert message in str(err.value)


def test_heads_must_divide_the_width_only_for_backbones_with_heads():
  for name, ok in (("gru4rec", True), ("hstu", False), ("sasrec", False)):
    c = config_lib.get_base_config()
    c.model.name, c.model.num_heads, c.rsir.generator_dim = name, 3, 16
    if ok:
      config_check.validate(c)
    else:
      with pytest.raises(config_check.ConfigError, match="num_heads"):
        config_check.validate(c)


def test_name_and_path_are_exclusive():
  c = config_lib.get_base_config()
  c.data.path = "mine.txt"
  with pytest.raises(config_check.ConfigError, match="exactly one"):
    config_check.validate(c)


def test_screen_preset_stops_the_full_run_after_15_epochs_and_changes_nothing_else():
  full = config_lib.strong_baseline(config_lib.get_base_config())
  screen = config_lib.apply_preset(
      config_lib.strong_baseline(config_lib.get_base_config()), "screen")
  assert screen.train.max_epochs == 15 and full.train.max_epochs > 15
  screen.train.max_epochs = full.train.max_epochs
  assert screen.to_dict() == full.to_dict()


def test_unknown_preset_is_refused():
  with pytest.raises(ValueError, match="preset"):
    config_lib.apply_preset(config_lib.get_base_config(), "huge")


def test_default_workdir_follows_the_config():
  a, b = config_lib.get_base_config(), config_lib.get_base_config()
  assert default_workdir(a) == default_workdir(b)
  b.train.stop_after_steps = 5          # execution-only: same run
  assert default_workdir(a) == default_workdir(b)
  b.model.dim = 128
  assert default_workdir(a) != default_workdir(b)


@pytest.mark.parametrize("field, value", [("train.batch_size", 1_000_000),
                                          ("eval.batch_size", 1_000_000),
                                          ("rsir.slots", 10_000_000)])
def test_sizes_beyond_the_device_memory_fail_in_the_check(field, value):
  c = tiny.tiny_rsir_config()
  c = sweep.apply_overrides(c, {field: value, "rsir.chunk_size": max(value, 64)})
  with pytest.raises(config_check.ConfigError, match=f"config.{field}={value}.*GiB per device"):
    config_check.check_sizes(c, 2_000_000, parallel.make_mesh(1))
  config_check.check_sizes(tiny.tiny_rsir_config(), 2_000_000, parallel.make_mesh(1))


def test_the_memory_estimate_is_each_backbones_own():
  """The estimate asks the backbone: CL4SRec encodes three times SASRec's rows, GRU4Rec has
  no attention maps, and its recurrent state does not grow with the generated length."""
  def estimate(name, **fields):
    c = sweep.apply_overrides(tiny.tiny_rsir_config(), {"model.name": name, **fields})
    return config_check._peak_bytes(c, 1000, 1)

  sasrec, cl4srec, gru4rec = estimate("sasrec"), estimate("cl4srec"), estimate("gru4rec")
  assert cl4srec["train.batch_size"] > sasrec["train.batch_size"] > gru4rec["train.batch_size"]
  longer = {"model.max_len": 64, "rsir.max_len": 64}
  generation = "rsir.slots" if sasrec.get("rsir.slots") else "rsir.chunk_size"
  assert estimate("sasrec", **longer)[generation] > sasrec[generation]
  # GRU4Rec: only the rows written grow (chunk_size x max_len), not its decoding state.
  growth = estimate("gru4rec", **longer)[generation] - gru4rec[generation]
  c = tiny.tiny_rsir_config()
  assert growth == 4 * c.rsir.chunk_size * (64 - c.model.max_len)


def test_a_workdir_refuses_a_different_config(tmp_path):
  c = config_lib.get_base_config()
  check_same_run(str(tmp_path), c)  # empty: fine
  with open(tmp_path / "config.json", "w") as f:
    json.dump(c.to_dict(), f)
  c.train.lr = 0.01
  with pytest.raises(WorkdirError, match="train.lr"):
    check_same_run(str(tmp_path), c)


def test_a_field_added_later_matches_only_at_its_default(tmp_path):
  c = config_lib.get_base_config()
  stored = c.to_dict()
  del stored["train"]["loss_norm"]  # a run started before the field existed
  with open(tmp_path / "config.json", "w") as f:
    json.dump(stored, f)
  check_same_run(str(tmp_path), c)  # default value: the same run
  c.train.loss_norm = "per_target"
  with pytest.raises(WorkdirError, match="train.loss_norm"):
    check_same_run(str(tmp_path), c)


def test_an_rsir_run_may_change_its_number_of_rounds_but_not_become_a_baseline(tmp_path):
  c = config_lib.get_base_config()
  c.rsir.rounds = 1
  with open(tmp_path / "config.json", "w") as f:
    json.dump(c.to_dict(), f)
  c.rsir.rounds = 3  # continue the finished run with two more rounds
  check_same_run(str(tmp_path), c)
  c.rsir.rounds = 0  # a baseline run lays out its workdir differently
  with pytest.raises(WorkdirError, match="rsir.rounds"):
    check_same_run(str(tmp_path), c)


def test_batch_sizes_must_split_over_the_devices():
  c = config_lib.get_base_config()
  c.train.batch_size = 7
  config_check.check_sizes(c, 100, parallel.make_mesh(1))  # one device takes anything
  with pytest.raises(parallel.DeviceError, match="parallel.num_devices=64 but only"):
    parallel.make_mesh(64)


def test_paper_configs_hold_the_authors_values_and_share_round0_per_seed():
  path = os.path.join(CONFIG_DIR, "rsir_paper_sports.py")
  c = _load(path).get_config("")
  expected = {"seed": 2023, "model.ffn_mult": 2, "model.input_norm": False,
              "model.ffn_dropout": True, "train.loss": "sampled", "train.negatives": "row",
              "train.num_negatives": 256, "train.prefix_rows": False, "train.batch_size": 256,
              "train.patience": 20, "rsir.m": 5, "rsir.p": 0.5, "rsir.choice": "greedy",
              "rsir.start": "first", "rsir.drop_failed": False, "rsir.dedup": "new",
              "rsir.targets": "input", "rsir.rounds": 3, "rsir.fidelity": True,
              "rsir.tau": config_lib.PAPER_TAU, "data.name": "sports"}
  assert {f: c[f.split(".")[0]][f.split(".")[1]] if "." in f else c[f] for f in expected} \
      == expected
  nofid = _load(path).get_config("nofid")
  assert (nofid.rsir.fidelity, nofid.rsir.m, nofid.rsir.sources) == (False, 5, "all")
  assert _load(path).get_config("nofid_real").rsir.sources == "real"
  with pytest.raises(config_check.ConfigError, match="nofid"):
    _load(path).get_config("nofid_m1")
  points = sweep.points_from_config_file(path, "")
  assert len(points) == 9 and {p["seed"] for p in points} == {2023, 0, 1}
  configs = sweep.share_round0([sweep.apply_overrides(c, p) for p in points],
                               [sweep.point_name(p) for p in points])
  owners = [cfg.rsir.round0_dir for cfg in configs]
  assert owners[:3] == ["", "../seed=2023", "../seed=2023"]  # one round 0 per seed
  assert owners.count("") == 3


@pytest.mark.parametrize("overrides, message", [
    ({"rsir.generator": "shuffle"}, "config.rsir.generator='shuffle'"),
    ({"rsir.generator": "reorder", "rsir.reorder_rate": 1.5}, "config.rsir.reorder_rate=1.5"),
    ({"rsir.match_rows": True}, "needs rsir.round0_dir"),
    ({"rsir.match_by": "items"}, "config.rsir.match_by='items'"),
    ({"rsir.cap": -1}, "config.rsir.cap=-1"),
    ({"rsir.select": "best"}, "config.rsir.select='best'"),
    ({"rsir.select_draws": 1}, "config.rsir.select_draws=1"),
    ({"eval.ensemble_rounds": 1}, "config.eval.ensemble_rounds=1"),
    ({"rsir.generate_ensemble": True}, "needs eval.ensemble_rounds >= 2"),
    ({"rsir.tau_schedule": "accept:2"}, "'accept:a' needs a in (0, 1]"),
    ({"rsir.generator": "insert", "rsir.generator_dim": 16}, "RSIR's only"),
    ({"model.name": "cl4srec", "model.cl_temperature": 0.0}, "config.model.cl_temperature"),
    ({"model.name": "cl4srec", "model.cl_mask": -0.1}, "config.model.cl_mask"),
])
def test_invalid_generator_and_contrastive_fields_name_the_field(overrides, message):
  c = sweep.apply_overrides(config_lib.get_base_config(), {"rsir.rounds": 1, **overrides})
  with pytest.raises(config_check.ConfigError) as err:
    config_check.validate(c)
  assert message in str(err.value)


@pytest.mark.parametrize("negatives", ["row", "row_pool"])
def test_more_negatives_than_a_row_leaves_outside_it_fail_before_compute(negatives):
  """The tiny data has 50 items and rows of up to max_len 12: at most 38 items outside a row."""
  c = tiny.tiny_config({"train.loss": "sampled", "train.negatives": negatives,
                        "train.num_negatives": 39})
  config_check.validate(c)
  with pytest.raises(config_check.ConfigError, match="config.train.num_negatives=39"):
    tiny.resolve(c)
  tiny.resolve(tiny.tiny_config({"train.loss": "sampled", "train.negatives": negatives,
                                 "train.num_negatives": 38}))


def test_a_config_argument_is_read_as_key_value_pairs_or_a_preset():
  read = lambda arg: config_lib.parse_arg(arg, dataset="beauty", preset="", epochs=3)
  assert read("smoke").to_dict() == {"dataset": "beauty", "preset": "smoke", "epochs": 3}
  assert read("dataset=sports, epochs=7").to_dict() == {"dataset": "sports", "preset": "",
                                                        "epochs": 7}
  with pytest.raises(config_check.ConfigError, match="'datset'.*takes dataset, epochs, preset"):
    read("datset=sports")
  with pytest.raises(config_check.ConfigError, match="epochs='many': not a int"):
    read("epochs=many")


def test_folded_config_files_give_the_per_dataset_files_configs():
  """configs/rsir_paper.py:dataset=X is configs/rsir_paper_X.py; configs/baseline.py with
  the default arguments is configs/sasrec_beauty.py, and its dataset argument
  configs/sasrec_sports.py; their sweeps too."""
  folded, paper = _load(os.path.join(CONFIG_DIR, "rsir_paper.py")), {}
  for dataset in ("beauty", "sports"):
    paper[dataset] = _load(os.path.join(CONFIG_DIR, f"rsir_paper_{dataset}.py"))
    for preset in ("", "nofid", "smoke"):
      arg = f"dataset={dataset}" + (f",preset={preset}" if preset else "")
      assert folded.get_config(arg).to_dict() == paper[dataset].get_config(preset).to_dict()
      assert folded.get_sweep(arg) == paper[dataset].get_sweep(preset)
  baseline = _load(os.path.join(CONFIG_DIR, "baseline.py"))
  for arg, name in (("", "sasrec_beauty"), ("dataset=sports", "sasrec_sports"),
                    ("preset=smoke", "sasrec_beauty")):
    own = _load(os.path.join(CONFIG_DIR, f"{name}.py"))
    preset = "smoke" if "smoke" in arg else ""
    assert baseline.get_config(arg).to_dict() == own.get_config(preset).to_dict()
  gru = baseline.get_config("model=gru4rec")
  assert gru.model.name == "gru4rec" and gru.train.dropout_warmup_epochs == 0.0
