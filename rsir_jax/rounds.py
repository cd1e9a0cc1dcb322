"""The RSIR loop: train, generate with fidelity control, augment, train the successor, repeat.

Layout of a workdir with K rounds:
  round_<k>/dataset.npz     synthetic rows of D_k (absent for k = 0: D_0 is the real data)
  round_<k>/train/          the trainer's workdir (checkpoints, metrics.jsonl); absent when
                            round k - 1 added no rows (same data, same seed: same model,
                            reused from the round named by `trained_in_round`)
  round_<k>/generator/      the generator's training run, when weak-to-strong
  round_<k>/generation/     finished generation chunks (removed once the round is durable)
  round_<k>/round.json      written last: the round is finished only once this exists
  rounds.json, rounds.csv, rounds.png   one entry per finished round
Rerunning resumes: finished rounds are read back, an unfinished one resumes its training
(checkpoints) or its generation (chunks). Raising rsir.rounds on a finished run continues it:
its last round generates, and the new rounds follow.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import shutil
import time

import jax
import ml_collections
import numpy as np

from rsir_jax import augment, generation, parallel, sampler, trainer
from rsir_jax.data.split import LeaveOneOutSplit

log = logging.getLogger(__name__)


def gen_config(config: ml_collections.ConfigDict) -> sampler.GenConfig:
  """The sampler settings of `config.rsir`."""
  r = config.rsir
  return sampler.GenConfig(max_len=r.max_len or config.model.max_len, tau=r.tau,
                           p_exploit=float(r.p), fidelity=r.fidelity, drop_failed=r.drop_failed,
                           choice=r.choice, temperature=float(r.temperature), top_k=r.top_k,
                           start=r.start)


def generator_config(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict | None:
  """The config of a separate generator model (weak-to-strong), or None when the learner
  itself generates."""
  r = config.rsir
  if not (r.generator_dim or r.generator_layers):
    return None
  g = ml_collections.ConfigDict(config.to_dict())
  g.model.dim = r.generator_dim or config.model.dim
  g.model.num_layers = r.generator_layers or config.model.num_layers
  return g


def save_rows(path: str, rows) -> None:
  """Stores int sequences as one flat array and offsets (atomically; process 0 only)."""
  if not parallel.is_primary():
    return
  lengths = np.array([len(r) for r in rows], np.int64)
  flat = np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, np.int32)
  tmp = path + ".tmp.npz"
  np.savez(tmp, flat=flat, offsets=np.concatenate([[0], np.cumsum(lengths)]))
  os.replace(tmp, path)


def load_rows(path: str) -> list[np.ndarray]:
  """Inverse of `save_rows`."""
  with np.load(path) as f:
    flat, offsets = f["flat"], f["offsets"]
  return [flat[a:b] for a, b in zip(offsets[:-1], offsets[1:])]


def _write_tables(workdir: str, entries: list[dict]) -> None:
  if not parallel.is_primary():
    return
  trainer.write_json(os.path.join(workdir, "rounds.json"), entries)
  ks = sorted({k for e in entries for k in e["test"]})
  columns = (["round"] + [f"test_{k}" for k in ks] + [f"valid_{k}" for k in ks]
             + ["train_rows", "synthetic_rows", "rows_added", "train_s", "generate_s"])
  tmp = os.path.join(workdir, "rounds.csv.tmp")
  with open(tmp, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(columns)
    for e in entries:
      writer.writerow([e["round"]] + [e["test"][k] for k in ks] + [e["valid"][k] for k in ks]
                      + [e["data"]["rows"], e["data"]["synthetic_rows"],
                         e.get("generation", {}).get("rows_added", ""),
                         round(e["time_s"]["train"], 1),
                         round(e["time_s"].get("generate", 0.0), 1)])
  os.replace(tmp, os.path.join(workdir, "rounds.csv"))
  _plot(workdir, entries)


def _plot(workdir: str, entries: list[dict]) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(5, 3.5))
  rounds = [e["round"] for e in entries]
  for metric in ("recall@10", "ndcg@10", "recall@20", "ndcg@20"):
    ax.plot(rounds, [e["test"][metric] for e in entries], marker="o", label=metric)
  ax.set_xlabel("round")
  ax.set_ylabel("test metric")
  ax.set_xticks(rounds)
  ax.legend(fontsize=8)
  ax.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(os.path.join(workdir, "rounds.png"), dpi=120)
  plt.close(fig)


def summary(entries: list[dict]) -> str:
  """A per-round table for the terminal."""
  lines = ["round  test R@10  test N@10  test R@20  test N@20  rows   +added  train_s  gen_s"]
  for e in entries:
    t = e["test"]
    lines.append(f"{e['round']:5d}  {t['recall@10']:.4f}     {t['ndcg@10']:.4f}     "
                 f"{t['recall@20']:.4f}     {t['ndcg@20']:.4f}     {e['data']['rows']:<6d} "
                 f"{e.get('generation', {}).get('rows_added', 0):<7d}"
                 f"{e['time_s']['train']:7.0f}  {e['time_s'].get('generate', 0.0):5.0f}")
  return "\n".join(lines)


def _train_round(config, data_k, split, synthetic, entries, workdir, k, prev_params):
  """Trains and evaluates round k's model on D_k; returns its rounds.json entry (without the
  generation part) and the best parameters."""
  r = config.rsir
  counts = augment.data_counts(split.train, synthetic, split.num_items)
  log.info("round %d: %d rows (%d synthetic, %.1f%% of interactions)", k, counts["rows"],
           counts["synthetic_rows"], 100 * counts["synthetic_share"])
  t0 = time.perf_counter()
  train_dir, trained_in = os.path.join(workdir, f"round_{k}", "train"), k
  if k > 0 and not r.finetune and entries[-1]["generation"]["rows_added"] == 0:
    # D_k is D_{k-1} and training from scratch is deterministic: f_k is f_{k-1}.
    trained_in = entries[-1].get("trained_in_round", k - 1)
    train_dir = os.path.join(workdir, f"round_{trained_in}", "train")
    log.info("round %d: no rows were added, so its model is round %d's", k, trained_in)
  results, best_params = trainer.train(config, data_k, train_dir,
                                       init_params=prev_params if r.finetune else None)
  entry = {"round": k, "valid": results["valid"], "test": results["test"],
           "best_epoch": results["best_epoch"], "loss": results["loss"], "seed": config.seed,
           "data": counts, "trained_in_round": trained_in,
           "time_s": {"train": results["wall_time_s"] if trained_in == k else 0.0}}
  log.info("round %d test recall@10 %.4f ndcg@10 %.4f (train %.0fs in this process)", k,
           results["test"]["recall@10"], results["test"]["ndcg@10"], time.perf_counter() - t0)
  return entry, best_params


def _generate_round(config, data_k, split, synthetic, entry, best_params, gen, gen_cfg, key,
                    mesh, workdir, k):
  """Generates from round k's model (or its weak-to-strong generator), augments, and returns
  the synthetic rows of D_{k+1}; fills in `entry`'s generation counts and phase times."""
  r = config.rsir
  round_dir = os.path.join(workdir, f"round_{k}")
  gen_params, model_cfg = best_params, trainer.model_config(config, split.num_items)
  if gen_cfg is not None:
    t1 = time.perf_counter()
    g_results, gen_params = trainer.train(gen_cfg, data_k, os.path.join(round_dir, "generator"))
    model_cfg = trainer.model_config(gen_cfg, split.num_items)
    entry["generator"] = {"valid": g_results["valid"], "test": g_results["test"]}
    entry["time_s"]["generator_train"] = time.perf_counter() - t1
  # The paper generates from every row of D_k; sources='real' keeps to the real users, so a
  # synthetic row is never extended again (duplicates are still removed against all of D_k).
  sources = data_k.train if r.sources == "all" else split.train
  t1 = time.perf_counter()
  items, lengths, reasons, _ = generation.generate_round(
      gen_params, model_cfg, gen, sources, r.m, jax.random.fold_in(key, k),
      r.chunk_size, os.path.join(round_dir, "generation"), mesh=mesh, slots=r.slots)
  entry["time_s"]["generate"] = time.perf_counter() - t1
  t1 = time.perf_counter()
  new_rows, gen_counts = augment.augment(data_k.train, items, lengths, reasons, r.min_len)
  entry["time_s"]["augment"] = time.perf_counter() - t1
  entry["generation"] = gen_counts
  log.info("round %d generation: %s", k, gen_counts)
  os.makedirs(os.path.join(workdir, f"round_{k + 1}"), exist_ok=True)
  return synthetic + new_rows


def run_rounds(config: ml_collections.ConfigDict, split: LeaveOneOutSplit, workdir: str) -> list[dict]:
  """Runs (or resumes) rounds 0..config.rsir.rounds in `workdir`; returns one entry per
  round, as written to rounds.json."""
  r = config.rsir
  gen = gen_config(config)
  if gen.tau > split.num_items:
    raise ValueError(f"config.rsir.tau={gen.tau} exceeds the number of items {split.num_items}")
  gen_cfg = generator_config(config)
  mesh = parallel.make_mesh(config.parallel.num_devices)
  parallel.check_divisible("rsir.chunk_size", r.chunk_size, mesh)
  entries, synthetic, prev_params = [], [], None
  key = jax.random.key(config.seed)
  for k in range(r.rounds + 1):
    round_dir = os.path.join(workdir, f"round_{k}")
    os.makedirs(round_dir, exist_ok=True)
    if k > 0:
      synthetic = load_rows(os.path.join(round_dir, "dataset.npz"))
    data_k = dataclasses.replace(split, train=list(split.train) + synthetic)
    done_path = os.path.join(round_dir, "round.json")
    if os.path.exists(done_path):
      with open(done_path) as f:
        entry = json.load(f)
      if k == r.rounds or "generation" in entry:
        entries.append(entry)
        if r.finetune and k < r.rounds:  # the successor starts from these weights
          _, prev_params = trainer.train(config, data_k, os.path.join(round_dir, "train"))
        continue
      # The last round of a run with fewer rounds (rsir.rounds was raised): its model is
      # trained and evaluated; only its generation is missing. Training resumes finished.
      log.info("round %d: finished as the last round of a shorter run; generating from it", k)
      trained_in = entry.get("trained_in_round", k)
      _, best_params = trainer.train(
          config, data_k, os.path.join(workdir, f"round_{trained_in}", "train"),
          init_params=prev_params if r.finetune else None)
    else:
      entry, best_params = _train_round(config, data_k, split, synthetic, entries, workdir, k,
                                        prev_params)
    prev_params = best_params
    if k < r.rounds:
      synthetic_next = _generate_round(config, data_k, split, synthetic, entry, best_params,
                                       gen, gen_cfg, key, mesh, workdir, k)
      save_rows(os.path.join(workdir, f"round_{k + 1}", "dataset.npz"), synthetic_next)
    parallel.sync(f"round {k} data written")  # every process reads round k + 1's data
    trainer.write_json(done_path, entry)  # last: the round is now durable
    parallel.sync(f"round {k} finished")
    if parallel.is_primary():
      shutil.rmtree(os.path.join(round_dir, "generation"), ignore_errors=True)
    entries.append(entry)
    _write_tables(workdir, entries)
  _write_tables(workdir, entries)
  return entries
