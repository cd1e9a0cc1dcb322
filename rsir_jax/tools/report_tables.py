"""The tables of the markdown report (report.py), one function per `kind`: rows of markdown
built from loaded runs ({"dir", "config", "results"}) or benchmark files.
"""

from __future__ import annotations

import json
import statistics
from typing import Sequence

from rsir_jax.files import read_json

IGNORED = ("seed", "rsir.round0_dir", "rsir.rounds", "data.path")  # never a column
METRICS = (("recall@10", "R@10"), ("ndcg@10", "N@10"))


def _fmt_value(v) -> str:
  return "/".join(map(str, v)) if isinstance(v, list) else str(v)


def _mean_sd(values: Sequence[float], digits: int = 4) -> str:
  if not values:
    return "-"
  mean = statistics.fmean(values)
  if len(values) < 2:
    return f"{mean:.{digits}f}"
  return f"{mean:.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def _groups(runs: list[dict]) -> tuple[list[str], dict]:
  """The config fields that differ between runs (columns), and the runs grouped by them."""
  fields = sorted({k for r in runs for k in r["config"]})
  varied = [f for f in fields if f not in IGNORED
            and len({json.dumps(r["config"].get(f)) for r in runs}) > 1]
  groups: dict[tuple, list[dict]] = {}
  for r in runs:
    groups.setdefault(tuple(_fmt_value(r["config"].get(f)) for f in varied), []).append(r)
  return varied, groups


def _per_seed(entries: list[tuple[int, dict]]) -> str:
  return ", ".join(f"{e['test']['recall@10']:.4f} / {e['test']['ndcg@10']:.4f} (s{s})"
                   for s, e in sorted(entries, key=lambda t: t[0]))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
  return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
          + ["| " + " | ".join(r) + " |" for r in rows])


def _final(results: dict) -> dict | None:
  if "rounds" in results:
    return results["rounds"][-1] if results["rounds"] else None
  return results


def runs_table(runs: list[dict]) -> list[str]:
  """kind=runs (see the module docstring)."""
  varied, groups = _groups(runs)
  rows = []
  for key, members in groups.items():
    done = [(r["config"]["seed"], _final(r["results"])) for r in members
            if r["results"] and not r["results"].get("partial")]
    done = [(s, e) for s, e in done if e]
    metric = lambda name: [e["test"][name] for _, e in done]
    epochs = ", ".join(str(e.get("best_epoch", "-")) for _, e in sorted(done, key=lambda t: t[0]))
    minutes = [e["wall_time_s"] / 60 for _, e in done if "wall_time_s" in e]
    rows.append(list(key) + [str(len(done))] + [_mean_sd(metric(m)) for m, _ in METRICS]
                + [_per_seed(done) or "-", epochs or "-", _mean_sd(minutes, 0)])
  header = varied + ["seeds", "test R@10", "test N@10", "R@10 / N@10 per seed", "best epoch",
                     "train min"]
  return _table(header, rows)


def rounds_table(runs: list[dict], reference=None) -> list[str]:
  """kind=rounds (see the module docstring); `reference(config, k)`, if given, is a published
  (Recall@10, NDCG@10) of round k for a run's config (either may be None), shown beside."""
  varied, groups = _groups(runs)
  with_ensemble = any("ensemble" in e for r in runs for e in (r["results"] or {}).get("rounds", []))
  rows = []
  for key, members in groups.items():
    by_round: dict[int, list[tuple[int, dict]]] = {}
    for r in members:
      for e in (r["results"] or {}).get("rounds", []):
        by_round.setdefault(e["round"], []).append((r["config"]["seed"], e))
    for k in sorted(by_round):
      entries = by_round[k]
      # Against round 0 of the same seeds: a run stopped before round k leaves its seed out.
      seeds = {s for s, _ in entries}
      base = [e for s, e in by_round.get(0, []) if s in seeds]
      change = "-" if k == 0 or not base else _change([e for _, e in entries], base)
      paired = _paired_change(entries, by_round.get(k - 1, []))
      generated = [e["generation"] for _, e in entries if "generation" in e]
      added = [g["rows_added"] for g in generated]
      interactions = [g["interactions_added"] for g in generated if "interactions_added" in g]
      share = [100 * e["data"]["synthetic_share"] for _, e in entries]
      stopped = sum("stopped" in e for _, e in entries)  # the growth cap ended the run here
      minutes = [sum(e["time_s"].values()) / 60 for _, e in entries if "time_s" in e]
      ensemble = [e["ensemble"]["test"] for _, e in entries if "ensemble" in e]
      rows.append(list(key) + [str(k), str(len(entries))]
                  + [_mean_sd([e["test"][m] for _, e in entries]) for m, _ in METRICS]
                  + ([" / ".join(_mean_sd([t[m] for t in ensemble]) for m, _ in METRICS)
                      if ensemble else "-"] if with_ensemble else [])
                  + [change, paired, (_mean_sd(added, 0) if added else "-")
                     + (f" (run ended: {stopped} of {len(entries)})" if stopped else ""),
                     _mean_sd(interactions, 0) if interactions else "-",
                     _mean_sd(share, 0) + "%", _per_seed(entries),
                     _mean_sd(minutes, 0) if minutes else "-"]
                  + ([_published(reference(members[0]["config"], k))] if reference else []))
  header = (varied + ["round", "seeds", "test R@10", "test N@10"]
            + (["ensemble with the round before, R@10 / N@10"] if with_ensemble else [])
            + ["vs round 0 (R / N)", "vs the round before, paired on the seed (R / N)",
               "rows added", "interactions added", "synthetic share",
               "R@10 / N@10 per seed", "min"] + (["paper R@10 / N@10"] if reference else []))
  return _table(header, rows)


def _published(pair) -> str:
  """A published (Recall@10, NDCG@10) pair as the tables write it ('-' for a missing one)."""
  if pair is None:
    return "-"
  return " / ".join("-" if v is None else f"{v:.4f}" for v in pair)


def _apen_cell(entries: list[dict]) -> str:
  """Mean ApEn (rsir_jax.data.regularity) of D_k over the entries that recorded it, and of
  its synthetic rows alone; at how many seeds when not all did; '-' when none did (runs made
  before it was recorded)."""
  recorded = [e for e in entries if e["data"].get("apen_m1") is not None]
  if not recorded:
    return "-"
  def mean(key: str) -> float | None:
    values = [e["data"][key] for e in recorded if e["data"].get(key) is not None]
    return statistics.fmean(values) if values else None
  every = [mean("apen_m1"), mean("apen_m2")]
  synthetic = [mean("synthetic_apen_m1"), mean("synthetic_apen_m2")]
  pair = lambda values: " / ".join("-" if v is None else f"{v:.2f}" for v in values)
  cell = pair(every) + (f" ({pair(synthetic)})" if synthetic[0] is not None else "")
  return cell + (f", at {len(recorded)} of {len(entries)} seeds"
                 if len(recorded) < len(entries) else "")


def round_data_table(runs: list[dict]) -> list[str]:
  """kind=round_data (see the module docstring)."""
  varied, groups = _groups(runs)
  rows = []
  for key, members in groups.items():
    by_round: dict[int, list[dict]] = {}
    for r in members:
      for e in (r["results"] or {}).get("rounds", []):
        by_round.setdefault(e["round"], []).append(e)
    for k in sorted(by_round):
      entries = by_round[k]
      mean = lambda f: statistics.fmean(f(e) for e in entries)
      gens = [e["generation"] for e in entries if "generation" in e]
      gen_mean = lambda f: statistics.fmean(f(g) for g in gens) if gens else None
      rate = lambda j: gen_mean(lambda g: (g.get("check_pass_rate", []) + [0.0] * 3)[j])
      rows.append(list(key) + [
          str(k), str(len(entries)), f"{mean(lambda e: e['data']['rows']):,.0f}",
          f"{mean(lambda e: e['data']['interactions']):,.0f}",
          f"{mean(lambda e: e['data']['density']):.2e}",
          f"{mean(lambda e: e['data']['interactions'] / e['data']['rows']):.2f}",
          f"{mean(lambda e: 100 * e['data']['synthetic_share']):.0f}%",
          f"{gen_mean(lambda g: g['rows_added']):,.0f}" if gens else "-",
          " / ".join(f"{rate(j):.2f}" for j in range(3)) if gens else "-",
          f"{gen_mean(lambda g: g.get('real_first_check_pass_rate', 0.0)):.2f}" if gens else "-",
          f"{gen_mean(lambda g: g['mean_length']):.2f}" if gens else "-",
          _apen_cell(entries)])
  header = varied + ["round", "seeds", "rows", "interactions", "density", "mean row length",
                     "synthetic share", "its generation: rows added", "checks 1 / 2 / 3 passed",
                     "real rows: check 1", "mean trajectory length",
                     "ApEn m=1 / m=2 (synthetic rows alone)"]
  return _table(header, rows)


def seed_rounds_table(runs: list[dict]) -> list[str]:
  """kind=seed_rounds (see the module docstring): one row per setting, seed and round."""
  varied, groups = _groups(runs)
  rows = []
  for key, members in groups.items():
    for r in sorted(members, key=lambda r: r["config"].get("seed", 0)):
      entries = (r["results"] or {}).get("rounds", [])
      for i, e in enumerate(entries):
        gen = e.get("generation")
        if "stopped" in e:
          end = "growth cap: the run ended"
        elif i == len(entries) - 1 and r["results"].get("partial"):
          end = "run unfinished"
        else:
          end = ""
        rows.append(list(key) + [
            str(r["config"].get("seed")), str(e["round"]),
            " / ".join(f"{e['test'][m]:.4f}" for m, _ in METRICS),
            f"{e['data']['rows']:,}", f"{100 * e['data']['synthetic_share']:.0f}%",
            f"{gen['rows_added']:,}" if gen else "-", end])
  header = varied + ["seed", "round", "test R@10 / N@10", "rows", "synthetic share",
                     "its generation: rows added", "end"]
  return _table(header, rows)


def generation_table(runs: list[dict]) -> list[str]:
  """kind=generation (see the module docstring)."""
  varied, groups = _groups(runs)
  rows = []
  for key, members in groups.items():
    gens = [(r["results"]["rounds"][0]["generation"], r["results"]["rounds"][0]["data"])
            for r in members if r["results"] and r["results"].get("rounds")
            and "generation" in r["results"]["rounds"][0]]
    if not gens:
      continue
    mean = lambda f: statistics.fmean(f(g, d) for g, d in gens)
    rate = lambda j: mean(lambda g, d: (g["check_pass_rate"] + [0.0] * 3)[j])
    rows.append(list(key) + [
        str(len(gens)), f"{mean(lambda g, d: g['rows_added']):,.0f}",
        f"{100 * mean(lambda g, d: g['interactions_added'] / d['interactions']):+.1f}%",
        " / ".join(f"{rate(j):.2f}" for j in range(3)),
        f"{mean(lambda g, d: g.get('real_first_check_pass_rate', 0.0)):.2f}",
        f"{mean(lambda g, d: g['mean_length']):.2f}",
        f"{mean(lambda g, d: g.get('no_generated_item', 0)):,.0f}"])
  header = varied + ["seeds", "rows added", "interactions added", "checks 1 / 2 / 3 passed",
                     "real rows: check 1", "mean length", "only a copied prefix"]
  return _table(header, rows)


def _pair(entries: list[dict]) -> str:
  """Test Recall@10 / NDCG@10 of `entries`, each as mean ± sample standard deviation."""
  return " / ".join(_mean_sd([e["test"][m] for e in entries]) for m, _ in METRICS)


def _change(entries: list[dict], bases: list[dict]) -> str:
  """The change of the mean test Recall@10 / NDCG@10 of `entries` against that of `bases`."""
  mean = lambda es, m: statistics.fmean(e["test"][m] for e in es)
  return " / ".join(f"{100 * (mean(entries, m) / mean(bases, m) - 1):+.1f}%" for m, _ in METRICS)


def _paired_change(entries: list[tuple[int, dict]], before: list[tuple[int, dict]]) -> str:
  """Each seed's change of test Recall@10 / NDCG@10 from the round before, as mean ± sample
  standard deviation over the seeds that have both rounds, and at how many it rose: a gain
  that keeps adding up must show here, not only in the means of the rounds ('-' for none)."""
  previous = dict(before)
  pairs = [(e, previous[s]) for s, e in entries if s in previous]
  if not pairs:
    return "-"
  cells, rose = [], []
  for m, _ in METRICS:
    deltas = [e["test"][m] - b["test"][m] for e, b in pairs]
    sd = f" ± {statistics.stdev(deltas):.4f}" if len(deltas) > 1 else ""
    cells.append(f"{_signed(statistics.fmean(deltas))}{sd}")
    rose.append(str(sum(d > 0 for d in deltas)))
  return f"{' / '.join(cells)} (up at {' / '.join(rose)} of {len(pairs)})"


def _signed(x: float, digits: int = 4) -> str:
  """x with its sign, a change that rounds to zero as +0.0000 (never -0.0000)."""
  return f"{round(x, digits) + 0.0:+.{digits}f}"


def _seeds(n: int) -> str:
  return f"{n} seed" + ("s" if n != 1 else "")


def pivot_table(runs: list[dict], rows: Sequence[str], cols: Sequence[str]) -> list[str]:
  """kind=pivot (see the module docstring): finished runs only, so that a cell and its
  round 0 come from the same seeds."""
  label = lambda r, fields: " / ".join(_fmt_value(r["config"].get(f)) for f in fields)
  round0 = lambda r: (r["results"].get("rounds") or [None])[0]
  done = [r for r in runs if r["results"] and not r["results"].get("partial")
          and _final(r["results"])]
  col_keys = list(dict.fromkeys(label(r, cols) for r in done))
  lines = []
  for row in dict.fromkeys(label(r, rows) for r in done):
    in_row = [r for r in done if label(r, rows) == row]
    bases = {r["config"]["seed"]: round0(r) for r in in_row if round0(r)}  # shared by seed
    cells = [f"{_pair(list(bases.values()))} ({_seeds(len(bases))})" if bases else "-"]
    for col in col_keys:
      members = [r for r in in_row if label(r, cols) == col]
      final = [_final(r["results"]) for r in members]
      paired = [round0(r) for r in members if round0(r)]
      if not members:
        cells.append("-")
      elif len(paired) == len(members) and all(e["round"] > 0 for e in final):
        cells.append(f"{_pair(final)} ({_change(final, paired)}, {_seeds(len(members))})")
      else:
        cells.append(f"{_pair(final)} ({_seeds(len(members))})")
    lines.append([row] + cells)
  header = [f"{' / '.join(rows)} (columns: {' / '.join(cols)})", "round 0"] + col_keys
  return _table(header, lines)


def bench_table(paths: list[str], cols: Sequence[str] = ()) -> tuple[list[str], list[str],
                                                                     list[dict]]:
  """kind=bench: the rows of benchmark JSON files (the columns `cols`, or all), the commands,
  and their provenance."""
  rows, commands, provenances = [], [], []
  for path in paths:
    bench = read_json(path)
    rows += bench["rows"]
    commands.append(bench["command"])
    provenances.append(bench["provenance"])
  columns = list(cols) or list(dict.fromkeys(k for r in rows for k in r))
  # Seconds and rates with 2 decimals; metrics, rates and shares under 1 with 4 digits.
  fmt = lambda v: (str(v) if not isinstance(v, float) else f"{v:,.2f}" if abs(v) >= 1
                   else f"{v:.4g}")
  table = _table(columns, [[fmt(r.get(c, "")) for c in columns] for r in rows])
  return table, commands, provenances
