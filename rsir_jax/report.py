"""Markdown tables generated from finished runs, so that no number in the docs is typed in.

  python -m rsir_jax.report docs/results.md README.md

rewrites, in each file, every block between a marker line and `<!-- /results -->`:

  <!-- results kind=runs dirs=runs/sasrec_beauty,runs/sasrec_losses where=data.name=beauty -->

  kind=runs     one row per setting: the runs of `dirs` (sweep folders or single runs) grouped
                by the config fields that differ between them, seeds pooled; test Recall@10 and
                NDCG@10 as mean ± sample standard deviation over the seeds, and per seed. An
                RSIR run counts with its last finished round.
  kind=rounds   the same for RSIR runs, one row per setting and round, with the change
                against round 0 of the same seeds (a run stopped earlier drops out of its
                later rounds and of their round 0), the rows and interactions each round
                added (and how many runs ended there because the next round's data passed
                rsir.max_rows_factor), the minutes the round took (training, generation and
                augmentation) and, for runs with eval.ensemble_rounds, the ensemble's test
                metrics.
  kind=round_data  the data of each round of RSIR runs, per setting and round (means over
                seeds): rows (real and synthetic), interactions, density (interactions over
                rows x items, every synthetic row counted as a user, as the paper's Fig. 5),
                mean row length, synthetic share of the interactions; and of the generation
                that followed the round's training: rows it added, the pass rates of its 1st,
                2nd and 3rd judged checks, the teacher-forced first-check pass rate on real
                rows, the mean trajectory length.
  kind=generation  what one round's generation added, per setting (RSIR runs, their first
                round; e.g. rsir.generate_only studies): rows and interactions added (the
                latter against the real training interactions), the pass rate of the 1st,
                2nd and 3rd judged fidelity checks, the teacher-forced first-check pass rate
                on real rows, the mean trajectory length; means over seeds.
  kind=pivot    one cell per value pair of two sets of fields, rows=f1,f2 and cols=f3: the
                finished runs' final test Recall@10 / NDCG@10 (mean ± sample standard
                deviation over seeds) with the change against round 0 of the same runs,
                and a first column with round 0 itself (each seed counted once), e.g.
                rows=model.name cols=rsir.generator: backbones against generators.
  kind=bench    the rows of benchmark JSON files (`dirs` are files written with --out);
                cols=a,b,c keeps those columns, in that order (default: all).
  where=f=v     keeps only runs whose config field f is v (several: comma-separated).

Under each table a line gives the commands that produced the runs, their commits, machines
and dates, and how many runs were finished. A block any of whose folders does not exist is
left as it was (so tables can be regenerated one at a time, and a checkout that holds only
some of a table's runs cannot shrink it), with a last line that says so in the document
itself: which folders this checkout lacks, and the commit and date its figures came from;
the command names each such block and what it lacks too.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import sys
from typing import Sequence

from rsir_jax import default_config
from rsir_jax.files import Writer, read_json
from rsir_jax.sweep import point_name, recorded_commands
from rsir_jax.workdir import comparable

MARKER = re.compile(r"^<!-- results (?P<attrs>.*?) -->$")
END = "<!-- /results -->"
IGNORED = ("seed", "rsir.round0_dir", "rsir.rounds", "data.path")  # never a column
METRICS = (("recall@10", "R@10"), ("ndcg@10", "N@10"))


def _load_runs(folder: str) -> tuple[list[dict], list[str]]:
  """The runs under `folder` (a sweep or a single run): each {"config", "results"} where
  results may be partial (an RSIR run's finished rounds only); and the sweep's commands."""
  planned = {}  # a sweep's point that has not started: the config it will run
  if os.path.exists(os.path.join(folder, "sweep.json")):
    sweep = read_json(os.path.join(folder, "sweep.json"))
    dirs = [os.path.join(folder, point_name(p)) for p in sweep["points"]]
    if "base" in sweep:
      planned = {d: {**_defaults(), **comparable(sweep["base"]), **p}
                 for d, p in zip(dirs, sweep["points"])}
    commands = recorded_commands(sweep)
  else:
    dirs, commands = [folder], []
  runs = []
  for d in dirs:
    config_path = os.path.join(d, "config.json")
    if not os.path.exists(config_path):
      runs.append({"dir": d, "config": planned.get(d), "results": None, "started": False})
      continue
    results = None
    if os.path.exists(os.path.join(d, "results.json")):
      results = read_json(os.path.join(d, "results.json"))
    elif os.path.exists(os.path.join(d, "rounds.json")):
      results = {"rounds": read_json(os.path.join(d, "rounds.json")), "partial": True}
    config = dict(_defaults(), **comparable(read_json(config_path)))
    runs.append({"dir": d, "config": config, "results": results})
  return runs, commands


@functools.cache
def _defaults() -> dict:
  """Today's default of every field: a field a run's config predates held its default then
  (a new switch defaults to the behaviour before it), so it is no column of its own."""
  return comparable(default_config.get_base_config().to_dict())


def _matches(config: dict, where: str) -> bool:
  for cond in filter(None, where.split(",")):
    field, _, value = cond.partition("=")
    if str(config.get(field)) != value:
      return False
  return True


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


def rounds_table(runs: list[dict]) -> list[str]:
  """kind=rounds (see the module docstring)."""
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
                  + [change, (_mean_sd(added, 0) if added else "-")
                     + (f" (run ended: {stopped} of {len(entries)})" if stopped else ""),
                     _mean_sd(interactions, 0) if interactions else "-",
                     _mean_sd(share, 0) + "%", _per_seed(entries),
                     _mean_sd(minutes, 0) if minutes else "-"])
  header = (varied + ["round", "seeds", "test R@10", "test N@10"]
            + (["ensemble with the round before, R@10 / N@10"] if with_ensemble else [])
            + ["vs round 0 (R / N)", "rows added", "interactions added", "synthetic share",
               "R@10 / N@10 per seed", "min"])
  return _table(header, rows)


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
          f"{gen_mean(lambda g: g['mean_length']):.2f}" if gens else "-"])
  header = varied + ["round", "seeds", "rows", "interactions", "density", "mean row length",
                     "synthetic share", "its generation: rows added", "checks 1 / 2 / 3 passed",
                     "real rows: check 1", "mean trajectory length"]
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


def _caption(commands: list[str], provenances: list[dict], finished: int, total: int) -> str:
  pick = lambda key: ", ".join(sorted({p[key] for p in provenances if p})) or "unknown"
  cmd = "; ".join(f"`{c}`" for c in dict.fromkeys(commands)) or "(single runs)"
  return (f"<sub>From {cmd}; commit {pick('commit')}; {pick('machine')}; {pick('date')}; "
          f"{finished} of {total} runs finished.</sub>")


def missing_folders(attrs: dict) -> list[str]:
  """The folders (or files) of a block's `dirs` that do not exist."""
  return [d for d in attrs["dirs"].split(",") if d and not os.path.exists(d)]


def render(attrs: dict) -> list[str] | None:
  """The lines of one generated block, or None when any of its folders is missing."""
  dirs = [d for d in attrs["dirs"].split(",") if d]
  if attrs["kind"] == "pivot" and not (attrs.get("rows") and attrs.get("cols")):
    raise ValueError(f"a kind=pivot block needs rows=FIELDS and cols=FIELDS: {attrs}")
  if missing_folders(attrs):
    return None
  if attrs["kind"] == "bench":
    cols = [c for c in attrs.get("cols", "").split(",") if c]
    lines, commands, provenances = bench_table(dirs, cols)
    return lines + ["", _caption(commands, provenances, len(provenances), len(dirs))]
  runs, commands = [], []
  for d in dirs:
    found, cmds = _load_runs(d)
    runs += found
    commands += cmds
  runs = [r for r in runs if r["config"] and _matches(r["config"], attrs.get("where", ""))]
  total = len(runs)  # the runs the block covers, started or not
  runs = [r for r in runs if r.get("started", True)]
  finished = [r for r in runs if r["results"] and not r["results"].get("partial")]
  if not runs:
    return None
  kinds = {"runs": runs_table, "rounds": rounds_table, "round_data": round_data_table,
           "generation": generation_table,
           "pivot": lambda rs: pivot_table(rs, attrs["rows"].split(","),
                                           attrs["cols"].split(","))}
  table = kinds[attrs["kind"]](runs)
  provenances = [e.get("provenance") for r in runs if r["results"]
                 for e in r["results"].get("rounds", [r["results"]])]
  return table + ["", _caption(commands, provenances, len(finished), total)]


NOT_KEPT = "<sub>Not regenerated from this checkout:"  # the note of a block left as it was


def _with_kept_note(block: list[str], missing: list[str]) -> list[str]:
  """A block's lines left as they were, ending with (an updated) NOT_KEPT note that names the
  `missing` folders and the commit and date of the figures (from the block's caption)."""
  body = [l for l in block if not l.startswith(NOT_KEPT)]
  while body and not body[-1].strip():
    body.pop()
  caption = next((l for l in body if l.startswith("<sub>From ")), "")
  commit = re.search(r"; commit ([^;]+);", caption)
  date = re.search(r"; ([0-9]{4}-[0-9]{2}-[0-9]{2}[^;]*); [0-9]+ of [0-9]+ runs", caption)
  lacking = f"{NOT_KEPT} {', '.join(missing)} " + (
      "is not in the repository (its result files were not kept)" if len(missing) == 1 else
      "are not in the repository (their result files were not kept)")
  if commit and date:
    note = f"{lacking}, so the figures above are as generated at commit {commit[1]}, {date[1]}."
  else:
    note = f"{lacking}: the table is empty until its runs are made again."
  return body + ["", note + "</sub>", ""]


def rewrite(text: str, left: list[str] | None = None) -> str:
  """`text` with every results block regenerated (see the module docstring); a block left as
  it was adds a line saying why to `left`."""
  lines, out, i = text.splitlines(), [], 0
  while i < len(lines):
    out.append(lines[i])
    match = MARKER.match(lines[i].strip())
    i += 1
    if not match:
      continue
    end = next((j for j in range(i, len(lines)) if lines[j].strip() == END), None)
    if end is None:
      raise ValueError(f"results block at line {i} has no closing {END}")
    attrs = dict(a.split("=", 1) for a in match["attrs"].split())
    generated = render(attrs)
    missing = missing_folders(attrs)
    if generated is None and left is not None:
      left.append(f"line {i}: left as it was: " + (
          f"missing {', '.join(missing)}" if missing else "no finished run matches"))
    if generated is not None:
      out += ["", *generated, ""]
    else:
      out += _with_kept_note(lines[i:end], missing) if missing else lines[i:end]
    out.append(lines[end])
    i = end + 1
  return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("files", nargs="+", help="markdown files holding results blocks")
  args = parser.parse_args(argv)
  for path in args.files:
    with open(path) as f:
      text = f.read()
    left = []
    try:
      new = rewrite(text, left)
    except ValueError as e:  # a malformed block: say where, change nothing
      print(f"{path}: {e}", file=sys.stderr)
      return 2
    for line in left:
      print(f"{path} {line}")
    if new != text:
      Writer().text(path, new)
      print(f"{path}: tables regenerated")
    else:
      print(f"{path}: unchanged")
  return 0


if __name__ == "__main__":
  sys.exit(main())
