"""Markdown tables generated from finished runs, so that no number in the docs is typed in.

  python -m rsir_jax.tools.report docs/results.md README.md

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
                rows, the mean trajectory length; and D_k's approximate entropy
                (rsir_jax.data.regularity, m = 1 and 2; of its synthetic rows alone in
                brackets) where the runs recorded it.
  kind=seed_rounds  each seed's rounds of RSIR runs, per setting: test Recall@10 / NDCG@10,
                rows, synthetic share of the interactions, the rows the generation after it
                added, and whether the growth cap ended the run there (or the run is
                unfinished).
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
  paper=table2  (kind=rounds) adds the paper's Table 2 figure for each row's dataset, arm
                (with the check, or without it generating from every row) and round
                (rsir_jax.config.PAPER_TABLE2).

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
import re
import sys
from typing import Sequence

from rsir_jax import config as config_lib
from rsir_jax import storage
from rsir_jax.files import Writer, read_json
from rsir_jax.files.sweeps import point_name, recorded_commands
from rsir_jax.files.workdir import comparable
from rsir_jax.tools import report_tables

MARKER = re.compile(r"^<!-- results (?P<attrs>.*?) -->$")
END = "<!-- /results -->"


def _load_runs(folder: str) -> tuple[list[dict], list[str]]:
  """The runs under `folder` (a sweep or a single run): each {"config", "results"} where
  results may be partial (an RSIR run's finished rounds only); and the sweep's commands."""
  planned = {}  # a sweep's point that has not started: the config it will run
  if storage.exists(storage.join(folder, "sweep.json")):
    sweep = read_json(storage.join(folder, "sweep.json"))
    dirs = [storage.join(folder, point_name(p)) for p in sweep["points"]]
    if "base" in sweep:
      planned = {d: {**_defaults(), **comparable(sweep["base"]), **p}
                 for d, p in zip(dirs, sweep["points"])}
    commands = recorded_commands(sweep)
  else:
    dirs, commands = [folder], []
  runs = []
  for d in dirs:
    config_path = storage.join(d, "config.json")
    if not storage.exists(config_path):
      runs.append({"dir": d, "config": planned.get(d), "results": None, "started": False})
      continue
    results = None
    if storage.exists(storage.join(d, "results.json")):
      results = read_json(storage.join(d, "results.json"))
    elif storage.exists(storage.join(d, "rounds.json")):
      results = {"rounds": read_json(storage.join(d, "rounds.json")), "partial": True}
    config = dict(_defaults(), **comparable(read_json(config_path)))
    runs.append({"dir": d, "config": config, "results": results})
  return runs, commands


@functools.cache
def _defaults() -> dict:
  """Today's default of every field: a field a run's config predates held its default then
  (a new switch defaults to the behaviour before it), so it is no column of its own."""
  return comparable(config_lib.get_base_config().to_dict())


def _matches(config: dict, where: str) -> bool:
  for cond in filter(None, where.split(",")):
    field, _, value = cond.partition("=")
    if str(config.get(field)) != value:
      return False
  return True


def _caption(commands: list[str], provenances: list[dict], finished: int, total: int) -> str:
  pick = lambda key: ", ".join(sorted({p[key] for p in provenances if p})) or "unknown"
  cmd = "; ".join(f"`{c}`" for c in dict.fromkeys(commands)) or "(single runs)"
  return (f"<sub>From {cmd}; commit {pick('commit')}; {pick('machine')}; {pick('date')}; "
          f"{finished} of {total} runs finished.</sub>")


def missing_folders(attrs: dict) -> list[str]:
  """The folders (or files) of a block's `dirs` that do not exist."""
  return [d for d in attrs["dirs"].split(",") if d and not storage.exists(d)]


def render(attrs: dict) -> list[str] | None:
  """The lines of one generated block, or None when any of its folders is missing."""
  dirs = [d for d in attrs["dirs"].split(",") if d]
  if attrs["kind"] == "pivot" and not (attrs.get("rows") and attrs.get("cols")):
    raise ValueError(f"a kind=pivot block needs rows=FIELDS and cols=FIELDS: {attrs}")
  if missing_folders(attrs):
    return None
  if attrs["kind"] == "bench":
    cols = [c for c in attrs.get("cols", "").split(",") if c]
    lines, commands, provenances = report_tables.bench_table(dirs, cols)
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
  tables = report_tables
  references = {"": None, "table2": config_lib.paper_table2}
  if attrs.get("paper", "") not in references:
    raise ValueError(f"paper={attrs['paper']}: the one published reference is paper=table2")
  reference = references[attrs.get("paper", "")]
  kinds = {"runs": tables.runs_table,
           "rounds": lambda rs: tables.rounds_table(rs, reference),
           "round_data": tables.round_data_table, "generation": tables.generation_table,
           "seed_rounds": tables.seed_rounds_table,
           "pivot": lambda rs: tables.pivot_table(rs, attrs["rows"].split(","),
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
