"""The RSIR loop on the tiny dataset: augmentation counts, rounds output, resume in every
phase, phase times across processes, reusing another run's round 0, the fidelity-off
ablation, real sources, fine-tuning, weak-to-strong and reseeded rounds."""

import json
import os
import shutil

import jax
import numpy as np
import pytest

from rsir_jax.data import regularity
from rsir_jax.data.load import ItemIds
from rsir_jax.files import Writer
from rsir_jax.files.rounds import RoundFiles, summary
from rsir_jax.files.workdir import WorkdirError
from rsir_jax.generate import filtering, rollouts, sampler
from rsir_jax.run import round_generation, rounds
from rsir_jax.run import setup as setup_lib
from rsir_jax.tools import data_regularity
from tests import tiny


def _run(config, workdir, data):
  return rounds.run_rounds(tiny.resolve(config, data), data, str(workdir))


def _rollouts(items, lengths, reasons, num_forced=None, checks_passed=None):
  n = len(lengths)
  return sampler.Rollouts(np.array(items), np.array(lengths), np.array(reasons),
                          np.ones(n, int) if num_forced is None else np.array(num_forced),
                          np.zeros(n, int) if checks_passed is None else np.array(checks_passed))


F, E, M = sampler.FIDELITY, sampler.EXHAUSTED, sampler.MAX_LENGTH


def test_augment_filters_and_deduplicates():
  existing = [np.array([1, 2, 3], np.int32)]
  out = _rollouts([[1, 2, 3, 0], [4, 5, 6, 0], [4, 5, 6, 0], [7, 8, 0, 0], [4, 5, 6, 9],
                   [1, 2, 3, 0]], [3, 3, 3, 2, 4, 3], [F, E, E, F, M, F])
  rows, counts = filtering.augment(existing, out, min_len=3)
  assert [r.tolist() for r in rows] == [[4, 5, 6], [4, 5, 6, 9]]
  assert counts["duplicates_of_existing"] == 2 and counts["duplicates_within"] == 1
  assert counts["too_short"] == 1 and counts["rows_added"] == 2
  assert counts["interactions_added"] == 7 and counts["trajectories"] == 6
  assert counts["stop_reasons"] == {"fidelity": 3, "exhausted": 2, "max_length": 1}
  # The authors' rule: a repeat of an existing row is added again (once per round).
  rows, counts = filtering.augment(existing, out, min_len=3, dedup="new")
  assert [r.tolist() for r in rows] == [[1, 2, 3], [4, 5, 6], [4, 5, 6, 9]]
  assert counts["duplicates_of_existing"] == 1 and counts["duplicates_within"] == 2


def test_a_trajectory_that_is_only_its_copied_prefix_is_not_synthetic():
  """start=prefix: a trajectory whose first judged check fails is its source's real prefix."""
  out = _rollouts([[5, 6, 7, 0], [5, 6, 7, 8]], [3, 4], [F, E], num_forced=[3, 3])
  rows, counts = filtering.augment([], out, min_len=3)
  assert [r.tolist() for r in rows] == [[5, 6, 7, 8]] and counts["no_generated_item"] == 1


def test_check_pass_rates_count_the_trajectories_that_reach_each_check():
  # passed 0 then failed; passed 1 then failed; passed 2 then used up its source; passed 2
  # then failed; passed 0 and used up at once (never judged).
  passed, reasons = np.array([0, 1, 2, 2, 0]), np.array([F, F, E, F, E])
  assert filtering.check_pass_rates(passed, reasons) == [0.75, round(2 / 3, 4), 0.0]


@pytest.mark.parametrize("original", [None, np.array([7, 1000, 2_000_000_000])])
def test_synthetic_rows_are_stored_in_the_files_ids(tmp_path, original):
  files = RoundFiles(str(tmp_path), Writer(), ItemIds(original))
  rows = [np.array([1, 2, 3], np.int32), np.array([3], np.int32)]
  files.save_synthetic_rows(1, rows, np.array([4, 0]))
  with np.load(tmp_path / "round_1" / "dataset.npz") as f:
    stored = f["flat"].tolist()
  assert stored == ([1, 2, 3, 3] if original is None else [7, 1000, 2_000_000_000, 2_000_000_000])
  assert [r.tolist() for r in files.synthetic_rows(1)] == [[1, 2, 3], [3]]
  assert files.synthetic_owners(1).tolist() == [4, 0]
  with np.load(tmp_path / "round_1" / "dataset.npz") as f:  # as written before owners were
    np.savez(tmp_path / "round_1" / "dataset.npz", flat=f["flat"], offsets=f["offsets"])
  assert files.synthetic_owners(1).tolist() == [-1, -1]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_data):
  workdir = tmp_path_factory.mktemp("full")
  return str(workdir), _run(tiny.tiny_rsir_config(), workdir, tiny_data)


def test_rounds_output(uninterrupted):
  workdir, entries = uninterrupted
  assert [e["round"] for e in entries] == [0, 1, 2]
  for g in (e["generation"] for e in entries[:2]):  # the diagnostics of every generation
    assert g["rows_added"] > 0 and g["interactions_added"] >= 3 * g["rows_added"]
    assert 0 < g["real_first_check_pass_rate"] <= 1 and 0 < g["check_pass_rate"][0] <= 1
    assert sum(g["stop_reasons"].values()) == g["trajectories"]
  for name in ("rounds.json", "rounds.csv", "rounds.png"):
    assert os.path.getsize(os.path.join(workdir, name)) > 0
  assert entries[0]["data"]["synthetic_rows"] == 0
  added = entries[0]["generation"]["rows_added"]
  assert added > 0 and entries[1]["data"]["synthetic_rows"] == added
  assert entries[1]["data"]["rows"] == entries[0]["data"]["rows"] + added
  assert "generation" not in entries[2]
  for e in entries:
    assert set(e["test"]) >= {"recall@10", "ndcg@10"} and "train" in e["time_s"]
    assert e["trained_in"] == os.path.join(f"round_{e['round']}", "train")
  with open(os.path.join(workdir, "rounds.json")) as f:
    assert json.load(f) == entries
  assert not os.path.exists(os.path.join(workdir, "round_0", "generation"))
  assert "check 1/2" in summary(entries).splitlines()[0]


def test_each_round_records_the_approximate_entropy_of_its_data(uninterrupted, monkeypatch):
  """D_k's ApEn in its entry is that of the real rows and the stored synthetic rows; the
  data_regularity tool reads the same rows from the folder."""
  workdir, entries = uninterrupted
  real = list(tiny.tiny_split().train)
  synthetic = RoundFiles(workdir, Writer(), ItemIds()).synthetic_rows(1)
  want = regularity.data_regularity(real, synthetic)
  assert {k: entries[1]["data"][k] for k in want} == pytest.approx(want)
  assert entries[0]["data"]["synthetic_apen_m1"] is None
  assert entries[0]["data"]["apen_m1"] == pytest.approx(regularity.approximate_entropy(real, 1))
  # run_rounds alone writes no config.json and reads no data file: the tool gets both here
  monkeypatch.setattr(data_regularity.workdir_lib, "read_config", lambda _: tiny.tiny_config())
  monkeypatch.setattr(data_regularity, "load_data", lambda _: tiny.tiny_data())
  rows = {r["rows"]: r for r in data_regularity.run_rows(workdir)}
  assert rows["D_1"]["ApEn m=1"] == pytest.approx(want["apen_m1"])
  assert rows["D_1"]["synthetic ApEn m=2"] == pytest.approx(want["synthetic_apen_m2"])
  assert rows["real (D_0)"]["ApEn m=1"] == pytest.approx(entries[0]["data"]["apen_m1"])
  assert rows["real, each row shuffled"]["interactions"] == rows["real (D_0)"]["interactions"]


def _same_rounds(got, want):
  assert [(e["valid"], e["test"], e["data"]) for e in got] == \
         [(e["valid"], e["test"], e["data"]) for e in want]
  assert [e.get("generation") for e in got] == [e.get("generation") for e in want]


def test_resume_inside_training(tiny_data, tmp_path, uninterrupted):
  c = tiny.tiny_rsir_config()
  c.train.checkpoint_every_steps, c.train.stop_after_steps = 2, 3
  with pytest.raises(Exception, match="stop_after_steps"):
    _run(c, tmp_path, tiny_data)
  _same_rounds(_run(tiny.tiny_rsir_config(), tmp_path, tiny_data), uninterrupted[1])


def test_resume_inside_generation_and_its_time_adds_up(tiny_data, tmp_path, uninterrupted,
                                                        monkeypatch):
  real = sampler.generate
  monkeypatch.setattr(rollouts.sampler, "generate", tiny.crashing_on_call(real, 2))
  with pytest.raises(KeyboardInterrupt):
    _run(tiny.tiny_rsir_config(), tmp_path, tiny_data)
  chunks = [c for c in os.listdir(tmp_path / "round_0" / "generation") if c.startswith("chunk_")]
  assert len(chunks) == 1
  with np.load(tmp_path / "round_0" / "generation" / chunks[0]) as f:
    first_chunk_s = float(f["seconds"])
  monkeypatch.setattr(rollouts.sampler, "generate", real)
  resumed = _run(tiny.tiny_rsir_config(), tmp_path, tiny_data)
  _same_rounds(resumed, uninterrupted[1])
  assert resumed[0]["time_s"]["generate"] > first_chunk_s > 0  # the first process's chunk counts


def test_resume_between_rounds(tiny_data, tmp_path, uninterrupted):
  _run(tiny.tiny_rsir_config(rounds=1), tmp_path, tiny_data)     # rounds 0 and 1 finished
  os.remove(tmp_path / "round_1" / "round.json")      # as if killed before the marker
  _same_rounds(_run(tiny.tiny_rsir_config(), tmp_path, tiny_data), uninterrupted[1])


def _keep_only_committed_files(workdir, keep=()):
  """Leaves in `workdir` what git keeps of a run (.gitignore: its JSON and CSV files, and the
  files named in `keep`), as a clone on a fresh machine has it: no checkpoints, no logs."""
  for folder, dirs, names in os.walk(workdir):
    for name in [d for d in dirs if d == "checkpoints"]:
      shutil.rmtree(os.path.join(folder, name))
      dirs.remove(name)
    for name in names:
      path = os.path.join(folder, name)
      if not name.endswith((".json", ".csv")) and os.path.relpath(path, workdir) not in keep:
        os.remove(path)


def test_a_clone_of_the_committed_files_goes_on_and_reproduces_the_lost_rounds(
    tiny_data, tmp_path, uninterrupted):
  shutil.copytree(uninterrupted[0], tmp_path, dirs_exist_ok=True)
  os.remove(tmp_path / "round_2" / "round.json")  # round 2 unfinished when the machine went
  _keep_only_committed_files(tmp_path)
  resumed = _run(tiny.tiny_rsir_config(), tmp_path, tiny_data)
  _same_rounds(resumed, uninterrupted[1])  # round 0 trained again, D_1 and D_2 generated again
  # Every round was trained again (round 0 for its generation, the rest on data generated
  # again) and says what it measured before: the same, since the seed fixes everything.
  assert [e["earlier"]["test"] for e in resumed[:2]] == [e["test"] for e in uninterrupted[1][:2]]
  for k in (1, 2):
    assert os.path.exists(tmp_path / f"round_{k}" / "dataset.npz")
  # A run whose rows were kept but not its models only trains what it needs next.
  for k in (0, 1, 2):
    shutil.rmtree(tmp_path / f"round_{k}" / "train" / "checkpoints")
  again = _run(tiny.tiny_rsir_config(), tmp_path, tiny_data)
  assert again == resumed  # finished rounds whose data is there are read back, not retrained


def test_a_clone_with_the_newest_rows_goes_on_from_that_round(tiny_data, tmp_path,
                                                              uninterrupted):
  shutil.copytree(uninterrupted[0], tmp_path, dirs_exist_ok=True)
  os.remove(tmp_path / "round_2" / "round.json")
  _keep_only_committed_files(tmp_path, keep=[os.path.join("round_2", "dataset.npz")])
  resumed = _run(tiny.tiny_rsir_config(), tmp_path, tiny_data)
  _same_rounds(resumed, uninterrupted[1])
  assert ["earlier" in e for e in resumed] == [False, False, True]  # round 2 alone trained
  assert not os.path.exists(tmp_path / "round_1" / "dataset.npz")  # D_1 was not needed


def test_round0_from_a_run_that_lost_its_model_is_trained_here(tiny_data, tmp_path,
                                                                  uninterrupted):
  source = tmp_path / "source"
  shutil.copytree(uninterrupted[0], source)
  with open(source / "config.json", "w") as f:
    json.dump(tiny.tiny_rsir_config().to_dict(), f)
  want = json.loads((source / "round_0" / "round.json").read_text())
  _keep_only_committed_files(source)
  c = tiny.tiny_rsir_config(rounds=1, tau=5, round0_dir="../source")
  (tmp_path / "other").mkdir()
  entries = _run(c, tmp_path / "other", tiny_data)
  assert entries[0]["trained_in"] == os.path.join("round_0", "train")
  assert entries[0]["test"] == want["test"] and "earlier" not in entries[0]


def test_raising_rounds_continues_a_finished_run(tiny_data, tmp_path, uninterrupted):
  entries = _run(tiny.tiny_rsir_config(rounds=1), tmp_path, tiny_data)  # a finished 1-round run
  assert "generation" not in entries[1]
  _same_rounds(_run(tiny.tiny_rsir_config(), tmp_path, tiny_data), uninterrupted[1])


def test_round0_from_another_run_is_reused_not_trained(tiny_data, tmp_path, uninterrupted):
  source, want = uninterrupted
  with open(os.path.join(source, "config.json"), "w") as f:
    json.dump(tiny.tiny_rsir_config().to_dict(), f)
  c = tiny.tiny_rsir_config(rounds=1, tau=5, round0_dir=os.path.relpath(source, tmp_path))
  entries = _run(c, tmp_path, tiny_data)
  assert entries[0]["test"] == want[0]["test"] and entries[0]["time_s"]["train"] == 0.0
  assert entries[0]["trained_in"] == os.path.join(c.rsir.round0_dir, "round_0", "train")
  assert not os.path.exists(tmp_path / "round_0" / "train")
  assert entries[0]["generation"] != want[0]["generation"]  # tau 5, not 10: its own generation
  other = tiny.tiny_rsir_config(rounds=1, round0_dir=source)
  other.train.lr = 0.01
  with pytest.raises(WorkdirError, match="train.lr"):
    _run(other, tmp_path / "other", tiny_data)


def test_generate_only_stops_once_the_data_is_generated(tiny_data, tmp_path, uninterrupted):
  entries = _run(tiny.tiny_rsir_config(rounds=1, generate_only=True), tmp_path, tiny_data)
  assert [e["round"] for e in entries] == [0]
  assert entries[0]["generation"] == uninterrupted[1][0]["generation"]
  assert os.path.exists(tmp_path / "round_1" / "dataset.npz")
  assert not os.path.exists(tmp_path / "round_1" / "train")


def test_the_growth_cap_ends_the_run_after_the_round_that_exceeds_it(tiny_data, tmp_path,
                                                                      uninterrupted):
  capped = tiny.tiny_rsir_config(max_rows_factor=1.2)  # round 0 adds more than 20% rows
  entries = _run(capped, tmp_path, tiny_data)
  assert [e["round"] for e in entries] == [0]
  assert "rsir.max_rows_factor=1.2" in entries[0]["stopped"]
  assert entries[0]["generation"] == uninterrupted[1][0]["generation"]
  assert _run(capped, tmp_path, tiny_data) == entries  # a rerun ends there too


def test_fidelity_off_ablation_runs(tiny_data, tmp_path):
  entries = _run(tiny.tiny_rsir_config(rounds=1, fidelity=False), tmp_path, tiny_data)
  assert entries[0]["generation"]["stop_reasons"]["fidelity"] == 0
  assert entries[0]["generation"]["rows_added"] > 0


def test_real_sources_generate_from_real_rows_only(tiny_data, tmp_path, uninterrupted):
  split = tiny_data.split
  entries = _run(tiny.tiny_rsir_config(sources="real"), tmp_path, tiny_data)
  assert [e["generation"]["trajectories"] for e in entries[:2]] == [2 * len(split.train)] * 2
  # With every row of D_k as sources (the default), round 1 also extends round 0's rows.
  _, all_sources = uninterrupted
  assert all_sources[1]["data"]["rows"] > len(split.train)
  assert all_sources[1]["generation"]["trajectories"] == 2 * all_sources[1]["data"]["rows"]


def test_the_authors_target_set_leaves_out_each_rows_last_item(tiny_data, tmp_path):
  """targets=input: with the check off and exploitation only, a trajectory runs through its
  source's input, in the model's order: the row without its last item."""
  config = tiny.tiny_rsir_config(rounds=1, targets="input", p=1.0, fidelity=False, m=1,
                                 sources="real")
  setup = tiny.resolve(config, tiny_data)
  files = RoundFiles(str(tmp_path), setup.writer, tiny_data.item_ids)
  params = setup.model.init(jax.random.key(0))
  no_rows = round_generation.NewRows([], np.zeros(0, int))
  new, _ = round_generation.generate_round(setup, tiny_data, no_rows, params, 0, files)
  rows = new.rows
  assert new.owners.tolist() == sorted(new.owners.tolist())  # m = 1 row per real source
  inputs = {(int(s[0]), tuple(sorted(s[:-1].tolist()))) for s in tiny_data.split.train}
  assert rows and all((int(r[0]), tuple(sorted(r.tolist()))) in inputs for r in rows)


def test_finetune_and_weak_to_strong_run(tiny_data, tmp_path):
  config = tiny.tiny_rsir_config(rounds=1, finetune=True, generator_dim=8)
  entries = _run(config, tmp_path, tiny_data)
  assert "generator" in entries[0] and len(entries) == 2
  assert entries[0]["time_s"]["generator_train"] > 0
  assert os.path.exists(tmp_path / "round_0" / "generator" / "checkpoints")


def test_a_round_that_adds_nothing_reuses_the_previous_model(tiny_data, tmp_path, monkeypatch):
  real = filtering.new_row_index
  monkeypatch.setattr(round_generation.filtering, "new_row_index",
                      lambda *a, **k: (np.zeros(0, np.int64), real(*a, **k)[1]))
  entries = _run(tiny.tiny_rsir_config(rounds=2), tmp_path, tiny_data)
  assert [e["trained_in"] for e in entries] == [os.path.join("round_0", "train")] * 3
  assert not os.path.exists(tmp_path / "round_1" / "train")
  assert entries[2]["test"] == entries[0]["test"] and entries[2]["time_s"]["train"] == 0.0


def test_reseeded_rounds_train_from_their_own_keys(tiny_data):
  """rsir.reseed_rounds: round 0 keeps the run's keys, round k >= 1 folds k into the
  initialisation and training keys (another initialisation, other dropout draws); the
  generation key and the other rounds' setups are untouched; off, every round has the run's."""
  paired = tiny.resolve(tiny.tiny_rsir_config(), tiny_data)
  reseeded = tiny.resolve(tiny.tiny_rsir_config(reseed_rounds=True), tiny_data)
  data = lambda key: np.asarray(jax.random.key_data(key))
  assert (setup_lib.round_setup(paired, 1) is paired
          and setup_lib.round_setup(reseeded, 0) is reseeded)
  one, two = setup_lib.round_setup(reseeded, 1), setup_lib.round_setup(reseeded, 2)
  for name in ("init", "train"):
    keys = [data(getattr(s.keys, name)) for s in (reseeded, one, two)]
    assert not np.array_equal(keys[0], keys[1]) and not np.array_equal(keys[1], keys[2])
  np.testing.assert_array_equal(data(one.keys.generate), data(reseeded.keys.generate))
  init = lambda s: s.model.init(s.keys.init)["item_embed"]
  assert not np.allclose(init(one), init(reseeded))
  np.testing.assert_array_equal(init(paired), init(reseeded))  # the same seed's round 0
