"""The files of a sweep folder: each point's subfolder name, the commands sweep.json records,
and the summary across points (sweep.csv, sweep.md, one plot per metric), rewritten after
every point by the sweep and by rsir_jax.tools.merge_sweeps, read by the report."""

from __future__ import annotations

from typing import Sequence

from rsir_jax import storage
from rsir_jax.files.writer import Writer

METRICS = ("recall@10", "ndcg@10", "recall@20", "ndcg@20")


def point_name(overrides: dict) -> str:
  """The subfolder of a point, e.g. 'rsir.tau=5,rsir.p=0.5'."""
  return ",".join(f"{k}={v}" for k, v in overrides.items()).replace("/", "_")


def _final_entry(results: dict) -> dict:
  """What a point reports: its last round for an RSIR run, else the run itself."""
  if "rounds" in results:
    return results["rounds"][-1]
  return results


def summary_rows(points: Sequence[dict], results: Sequence[dict]) -> list[dict]:
  """One flat row per point: its overrides, then the test metrics it ends with (the last
  round for RSIR runs, with the gain over its round 0), then validation NDCG@20."""
  rows = []
  for overrides, res in zip(points, results):
    final = _final_entry(res)
    row = dict(overrides)
    row.update({f"test_{m}": final["test"][m] for m in METRICS})
    row["valid_ndcg@20"] = final["valid"]["ndcg@20"]
    if "rounds" in res:
      base = res["rounds"][0]["test"]
      row["rounds"] = len(res["rounds"]) - 1
      row["gain_recall@10"] = final["test"]["recall@10"] - base["recall@10"]
      row["rows_added"] = sum(e.get("generation", {}).get("rows_added", 0) for e in res["rounds"])
    rows.append(row)
  return rows


def write_summary(workdir: str, points: Sequence[dict], results: Sequence[dict],
                  writer: Writer) -> None:
  """sweep.csv, sweep.md and one plot per metric (metric against each swept field, and
  against the round for RSIR runs), by `writer` (nothing where it is not the primary
  process's)."""
  if not writer.primary:
    return
  rows = summary_rows(points, results)
  columns = list(dict.fromkeys(k for r in rows for k in r))
  writer.csv(storage.join(workdir, "sweep.csv"), columns,
             [[r.get(c, "") for c in columns] for r in rows])
  fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)
  lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
  lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
  writer.text(storage.join(workdir, "sweep.md"), "\n".join(lines) + "\n")
  _plot(workdir, points, results, writer)


def _order(value) -> tuple:
  """A sort key for a field's values along a plot axis: numbers by value, anything else (a
  switch left at its default is None beside True/False) by its printed form after them."""
  if isinstance(value, (int, float)) and not isinstance(value, bool):
    return (0, value, "")
  return (1, 0, str(value))


def _plot(workdir: str, points: Sequence[dict], results: Sequence[dict], writer: Writer) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fields = list(dict.fromkeys(k for p in points for k in p))
  varied = [f for f in fields if len({repr(p.get(f)) for p in points}) > 1]
  fields = varied or fields[:1]  # a field held at one value gets no panel of its own
  has_rounds = any("rounds" in r for r in results)
  panels = fields + (["round"] if has_rounds else [])
  for metric in ("recall@10", "ndcg@10"):
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.5), squeeze=False)
    for ax, x in zip(axes[0], panels):
      if x == "round":
        for p, r in zip(points, results):
          if "rounds" in r:
            ax.plot([e["round"] for e in r["rounds"]], [e["test"][metric] for e in r["rounds"]],
                    marker="o", label=point_name(p))
        ax.legend(fontsize=7)
      else:  # one line per combination of the other fields
        others = [f for f in fields if f != x]
        groups: dict[tuple, list] = {}
        for p, r in zip(points, results):
          groups.setdefault(tuple(p.get(f) for f in others), []).append(
              (p.get(x), _final_entry(r)["test"][metric]))
        for key, pts in groups.items():
          pts.sort(key=lambda t: _order(t[0]))
          label = ",".join(f"{f}={v}" for f, v in zip(others, key)) or None
          ax.plot([str(a) for a, _ in pts], [b for _, b in pts], marker="o", label=label)
        if others:
          ax.legend(fontsize=7)
      ax.set_xlabel(x)
      ax.set_ylabel(f"test {metric}")
      ax.grid(alpha=0.3)
    fig.tight_layout()
    writer.figure(storage.join(workdir, f"sweep_{metric.replace('@', '')}.png"), fig)
    plt.close(fig)


def recorded_commands(sweep_json: dict) -> list[str]:
  """The commands a sweep.json records, oldest first (files older than the `commands` list
  hold their last command only)."""
  return sweep_json.get("commands") or ([sweep_json["command"]] if sweep_json.get("command")
                                        else [])
