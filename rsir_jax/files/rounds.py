"""The files of an RSIR run's workdir (see docs/design.md for the layout and resume rules):
where each round keeps its data and marker, and the run's summary tables.

  round_<k>/dataset.npz   the synthetic rows of D_k, in the data file's item ids, and the real
                          training row each descends from (k >= 1)
  round_<k>/train/        round k's training (trainer.fit's workdir), unless it reused a model
  round_<k>/generator/    the weak-to-strong generator's training
  round_<k>/generation/   finished generation chunks (removed once the round is durable)
  round_<k>/round.json    written last: round k is finished once it exists
  rounds.json, rounds.csv, rounds.png   one entry per finished round
"""

from __future__ import annotations

import numpy as np

from rsir_jax import storage
from rsir_jax.data.load import ItemIds
from rsir_jax.files.writer import Writer, read_json


def train_dir(run_dir: str, k: int) -> str:
  """round_<k>/train/ of the RSIR run in `run_dir` (relative when `run_dir` is)."""
  return storage.join(run_dir, f"round_{k}", "train")


def round_trained(run_dir: str, k: int) -> bool:
  """Whether round k of the RSIR run in `run_dir` finished training in its own folder
  (trainer.fit writes results.json last)."""
  return storage.exists(storage.join(train_dir(run_dir, k), "results.json"))


class RoundFiles:
  """Reads and writes the per-round files of the RSIR run in `workdir`."""

  def __init__(self, workdir: str, writer: Writer, item_ids: ItemIds):
    self.workdir, self.writer, self.item_ids = workdir, writer, item_ids

  def dir(self, k: int, *parts: str) -> str:
    """round_<k>/<parts...>, the round folder created on first use."""
    folder = storage.join(self.workdir, f"round_{k}")
    storage.makedirs(folder)
    return storage.join(folder, *parts)

  def finished_entry(self, k: int) -> dict | None:
    """Round k's rounds.json entry if the round is finished, else None."""
    path = storage.join(self.workdir, f"round_{k}", "round.json")
    return read_json(path) if storage.exists(path) else None

  def training_dir(self, entry: dict) -> str:
    """The training folder whose model a finished round used (its own, an earlier round's,
    or another run's, as recorded in the entry)."""
    if "trained_in" in entry:
      return storage.join(self.workdir, entry["trained_in"])
    return self.dir(entry.get("trained_in_round", entry["round"]), "train")  # older runs

  def has_data(self, k: int) -> bool:
    """Whether D_k's synthetic rows are here (always for k = 0, which has none)."""
    return k == 0 or storage.exists(storage.join(self.workdir, f"round_{k}", "dataset.npz"))

  def synthetic_rows(self, k: int) -> list[np.ndarray]:
    """The synthetic rows of D_k (none for k = 0), in internal item ids."""
    if k == 0:
      return []
    with np.load(storage.loadable(self.dir(k, "dataset.npz"))) as f:
      flat, offsets = f["flat"], f["offsets"]
    return self.item_ids.to_internal([flat[a:b] for a, b in zip(offsets[:-1], offsets[1:])])

  def synthetic_owners(self, k: int) -> np.ndarray:
    """Per synthetic row of D_k, the index of the real training row it descends from (-1 for
    every row of a file written before owners were recorded)."""
    if k == 0:
      return np.zeros(0, np.int64)
    with np.load(storage.loadable(self.dir(k, "dataset.npz"))) as f:
      if "owners" in f.files:
        return f["owners"].astype(np.int64)
      return np.full(len(f["offsets"]) - 1, -1, np.int64)

  def save_synthetic_rows(self, k: int, rows: list[np.ndarray], owners: np.ndarray) -> None:
    """Stores D_k's synthetic rows as one flat array and offsets, in the file's item ids,
    with their owners (synthetic_owners)."""
    rows = self.item_ids.to_original(rows)
    lengths = np.array([len(r) for r in rows], np.int64)
    flat = np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, np.int32)
    # Compressed: an unfinished run's newest one is committed, so that a fresh machine goes
    # on from its round (scripts/table2_queue.sh).
    self.writer.npz(self.dir(k, "dataset.npz"), compressed=True, flat=flat,
                    offsets=np.concatenate([[0], np.cumsum(lengths)]),
                    owners=np.asarray(owners, np.int64))

  def finish(self, k: int, entry: dict, entries: list[dict]) -> None:
    """Marks round k durable (round.json, last), drops its generation chunks and rewrites
    the run's tables with `entries` (round k's included)."""
    self.writer.json(self.dir(k, "round.json"), entry)
    if self.writer.primary:
      storage.rmtree(self.dir(k, "generation"))
    self.write_tables(entries)

  def write_tables(self, entries: list[dict]) -> None:
    """rounds.json, rounds.csv and rounds.png of the finished rounds."""
    if not self.writer.primary:
      return
    self.writer.json(storage.join(self.workdir, "rounds.json"), entries)
    ks = sorted({k for e in entries for k in e["test"]})
    columns = (["round"] + [f"test_{k}" for k in ks] + [f"valid_{k}" for k in ks]
               + ["train_rows", "synthetic_rows", "apen_m1", "rows_added", "train_s",
                  "generate_s"])
    rows = [[e["round"]] + [e["test"][k] for k in ks] + [e["valid"][k] for k in ks]
            + [e["data"]["rows"], e["data"]["synthetic_rows"], e["data"].get("apen_m1", ""),
               e.get("generation", {}).get("rows_added", ""), round(e["time_s"]["train"], 1),
               round(e["time_s"].get("generate", 0.0), 1)] for e in entries]
    if any("ensemble" in e for e in entries):  # eval.ensemble_rounds: the ensemble's test
      columns += [f"ensemble_test_{k}" for k in ks]
      rows = [row + [e["ensemble"]["test"][k] if "ensemble" in e else "" for k in ks]
              for row, e in zip(rows, entries)]
    self.writer.csv(storage.join(self.workdir, "rounds.csv"), columns, rows)
    self._plot(entries)

  def _plot(self, entries: list[dict]) -> None:
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
    self.writer.figure(storage.join(self.workdir, "rounds.png"), fig)
    plt.close(fig)


def summary(entries: list[dict]) -> str:
  """A per-round table for the terminal: test metrics, the data (rows, synthetic share of the
  interactions), what the round's generation added, how strict its check was (pass rate of
  the 1st and 2nd judged checks; teacher-forced on real rows), and the phase times."""
  lines = ["round  test R@10  N@10    rows    synth  +added  +inter  len   check 1/2  "
           "real 1st  train_s  gen_s"]
  for e in entries:
    t, d, g = e["test"], e["data"], e.get("generation", {})
    rates = (g.get("check_pass_rate", []) + ["-", "-"])[:2]
    fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else v
    lines.append(
        f"{e['round']:5d}  {t['recall@10']:.4f}     {t['ndcg@10']:.4f}  {d['rows']:<7d} "
        f"{100 * d['synthetic_share']:4.0f}%  {g.get('rows_added', 0):<7d}"
        f"{g.get('interactions_added', 0):<7d} {g.get('mean_length', 0.0):4.2f}  "
        f"{fmt(rates[0]):>4}/{fmt(rates[1]):<4}  {g.get('real_first_check_pass_rate', 0.0):8.2f}"
        f"  {e['time_s']['train']:7.0f}  {e['time_s'].get('generate', 0.0):5.0f}")
  return "\n".join(lines)
