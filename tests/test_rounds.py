"""The RSIR loop on a tiny synthetic dataset: augmentation counts, rounds output, resume in
every phase, the fidelity-off ablation, fine-tuning and weak-to-strong."""

import json
import os

import numpy as np
import pytest

from rsir_jax import augment, default_config, generation, rounds, sampler
from rsir_jax.data.split import leave_one_out


def _config(**rsir):
  c = default_config.get_base_config()
  c.model.dim, c.model.num_layers, c.model.max_len = 16, 1, 12
  c.data.bucket_lengths = (4, 8)
  c.train.batch_size, c.train.max_epochs, c.train.patience = 32, 2, 2
  c.eval.batch_size = 64
  c.rsir.rounds, c.rsir.m, c.rsir.tau, c.rsir.chunk_size = 2, 2, 10, 64
  for k, v in rsir.items():
    c.rsir[k] = v
  return c


def _split():
  rng = np.random.default_rng(0)
  seqs = []
  for _ in range(120):
    start, n = rng.integers(1, 40), rng.integers(4, 12)
    seqs.append(((start + np.arange(n) * rng.integers(1, 3)) % 50 + 1).astype(np.int32))
  return leave_one_out(seqs)


def test_augment_filters_and_deduplicates():
  existing = [np.array([1, 2, 3], np.int32)]
  items = np.array([[1, 2, 3, 0], [4, 5, 6, 0], [4, 5, 6, 0], [7, 8, 0, 0], [4, 5, 6, 9]])
  lengths = np.array([3, 3, 3, 2, 4])
  reasons = np.array([sampler.FIDELITY, sampler.EXHAUSTED, sampler.EXHAUSTED,
                      sampler.FIDELITY, sampler.MAX_LENGTH])
  rows, counts = augment.augment(existing, items, lengths, reasons, min_len=3)
  assert [r.tolist() for r in rows] == [[4, 5, 6], [4, 5, 6, 9]]
  assert counts["duplicates_of_existing"] == 1 and counts["duplicates_within_new"] == 1
  assert counts["too_short"] == 1 and counts["rows_added"] == 2
  assert counts["stopped_fidelity"] == 2 and counts["stopped_exhausted"] == 2
  assert counts["stopped_max_length"] == 1 and counts["trajectories"] == 5


def test_rows_roundtrip(tmp_path):
  rows = [np.array([1, 2, 3], np.int32), np.array([9], np.int32)]
  rounds.save_rows(str(tmp_path / "d.npz"), rows)
  assert [r.tolist() for r in rounds.load_rows(str(tmp_path / "d.npz"))] == [[1, 2, 3], [9]]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("full"))
  return workdir, rounds.run_rounds(_config(), _split(), workdir)


def test_rounds_output(uninterrupted):
  workdir, entries = uninterrupted
  assert [e["round"] for e in entries] == [0, 1, 2]
  for name in ("rounds.json", "rounds.csv", "rounds.png"):
    assert os.path.getsize(os.path.join(workdir, name)) > 0
  assert entries[0]["data"]["synthetic_rows"] == 0
  added = entries[0]["generation"]["rows_added"]
  assert added > 0 and entries[1]["data"]["synthetic_rows"] == added
  assert entries[1]["data"]["rows"] == entries[0]["data"]["rows"] + added
  assert "generation" not in entries[2]
  for e in entries:
    assert set(e["test"]) >= {"recall@10", "ndcg@10"} and "train" in e["time_s"]
  with open(os.path.join(workdir, "rounds.json")) as f:
    assert json.load(f) == entries
  assert not os.path.exists(os.path.join(workdir, "round_0", "generation"))


def _resume_after(tmp_path, uninterrupted, interrupt):
  workdir = str(tmp_path)
  interrupt(workdir)
  resumed = rounds.run_rounds(_config(), _split(), workdir)
  _, want = uninterrupted
  assert [(e["valid"], e["test"], e["data"]) for e in resumed] == \
         [(e["valid"], e["test"], e["data"]) for e in want]
  assert [e.get("generation") for e in resumed] == [e.get("generation") for e in want]


def test_resume_inside_training(tmp_path, uninterrupted):
  def interrupt(workdir):
    c = _config()
    c.train.checkpoint_every_steps, c.train.stop_after_steps = 2, 3
    with pytest.raises(Exception, match="stop_after_steps"):
      rounds.run_rounds(c, _split(), workdir)
  _resume_after(tmp_path, uninterrupted, interrupt)


def test_resume_inside_generation(tmp_path, uninterrupted, monkeypatch):
  calls = {"n": 0}
  real = sampler.generate

  def crash_on_second_chunk(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == 2:
      raise KeyboardInterrupt("simulated crash")
    return real(*args, **kwargs)

  def interrupt(workdir):
    monkeypatch.setattr(generation.sampler, "generate", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
      rounds.run_rounds(_config(), _split(), workdir)
    chunks = os.listdir(os.path.join(workdir, "round_0", "generation"))
    assert len([c for c in chunks if c.startswith("chunk_")]) == 1
    monkeypatch.setattr(generation.sampler, "generate", real)
  _resume_after(tmp_path, uninterrupted, interrupt)


def test_resume_between_rounds(tmp_path, uninterrupted):
  def interrupt(workdir):
    rounds.run_rounds(_config(rounds=1), _split(), workdir)   # rounds 0 and 1 finished
    os.remove(os.path.join(workdir, "round_1", "round.json"))  # as if killed before the marker
  _resume_after(tmp_path, uninterrupted, interrupt)


def test_raising_rounds_continues_a_finished_run(tmp_path, uninterrupted):
  def interrupt(workdir):
    entries = rounds.run_rounds(_config(rounds=1), _split(), workdir)  # a finished 1-round run
    assert "generation" not in entries[1]
  _resume_after(tmp_path, uninterrupted, interrupt)


def test_fidelity_off_ablation_runs(tmp_path):
  entries = rounds.run_rounds(_config(rounds=1, fidelity=False), _split(), str(tmp_path))
  assert entries[0]["generation"]["stopped_fidelity"] == 0
  assert entries[0]["generation"]["rows_added"] > 0


def test_real_sources_generate_from_real_rows_only(tmp_path, uninterrupted):
  split = _split()
  entries = rounds.run_rounds(_config(sources="real"), split, str(tmp_path))
  assert [e["generation"]["trajectories"] for e in entries[:2]] == [2 * len(split.train)] * 2
  # With every row of D_k as sources (the default), round 1 also extends round 0's rows.
  _, all_sources = uninterrupted
  assert all_sources[1]["data"]["rows"] > len(split.train)
  assert all_sources[1]["generation"]["trajectories"] == 2 * all_sources[1]["data"]["rows"]


def test_finetune_and_weak_to_strong_run(tmp_path):
  entries = rounds.run_rounds(_config(rounds=1, finetune=True, generator_dim=8),
                              _split(), str(tmp_path))
  assert "generator" in entries[0] and len(entries) == 2
  assert os.path.exists(tmp_path / "round_0" / "generator" / "checkpoints")


def test_a_round_that_adds_nothing_reuses_the_previous_model(tmp_path, monkeypatch):
  real = augment.augment
  monkeypatch.setattr(rounds.augment, "augment",
                      lambda *a, **k: ([], {**real(*a, **k)[1], "rows_added": 0}))
  entries = rounds.run_rounds(_config(rounds=2), _split(), str(tmp_path))
  assert [e["trained_in_round"] for e in entries] == [0, 0, 0]
  assert not os.path.exists(tmp_path / "round_1" / "train")
  assert entries[2]["test"] == entries[0]["test"] and entries[2]["time_s"]["train"] == 0.0
