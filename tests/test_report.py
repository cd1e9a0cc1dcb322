"""Tables generated from run folders: grouping by the fields that differ, mean and spread
over seeds, per-round changes, blocks left alone when their runs are missing."""

import json
import os
import statistics
import sys
import types

from rsir_jax import config as config_lib
from rsir_jax.files import provenance
from rsir_jax.run import sweep
from rsir_jax.tools import report, report_tables

PROVENANCE = {"commit": "abc1234", "machine": "CPU x86_64, 2 cores", "date": "2026-11-28"}


def _metrics(r10, n10):
  return {"recall@10": r10, "ndcg@10": n10, "recall@20": r10, "ndcg@20": n10}


def _write(folder, name, obj):
  os.makedirs(folder, exist_ok=True)
  with open(os.path.join(folder, name), "w") as f:
    json.dump(obj, f)


def _fake_sweep(root, points, results_of, command="python launch.py --sweep=config"):
  base = config_lib.get_base_config()
  _write(root, "sweep.json", {"base": base.to_dict(), "points": points, "command": command})
  for p in points:
    d = os.path.join(root, sweep.point_name(p))
    _write(d, "config.json", sweep.apply_overrides(base, p).to_dict())
    result = results_of(p)
    if result is not None:
      _write(d, result[0], result[1])


def test_runs_table_pools_seeds_and_groups_by_the_varied_fields(tmp_path):
  values = {("ce", 0): (0.09, 0.05), ("ce", 1): (0.08, 0.04), ("bce", 0): (0.05, 0.03)}
  points = [{"train.loss": loss, "seed": s} for loss, s in values]
  points.append({"train.loss": "bce", "seed": 1})  # not finished
  def results_of(p):
    if p == points[-1]:
      return None
    test = _metrics(*values[p["train.loss"], p["seed"]])
    return "results.json", {"valid": _metrics(0, 0), "test": test, "best_epoch": 3,
                            "wall_time_s": 120.0, "provenance": PROVENANCE}
  _fake_sweep(str(tmp_path / "s"), points, results_of)
  text = f"intro\n<!-- results kind=runs dirs={tmp_path}/s -->\nold\n<!-- /results -->\nend\n"
  out = report.rewrite(text)
  assert out.startswith("intro\n") and out.endswith("<!-- /results -->\nend\n")
  assert "old" not in out
  ce = next(l for l in out.splitlines() if l.startswith("| ce |"))
  assert f"0.0850 ± {statistics.stdev([0.09, 0.08]):.4f}" in ce and "| 2 |" in ce
  assert "0.0900 / 0.0500 (s0), 0.0800 / 0.0400 (s1)" in ce
  bce = next(l for l in out.splitlines() if l.startswith("| bce |"))
  assert "| 1 | 0.0500 | 0.0300 |" in bce
  assert "commit abc1234" in out and "3 of 4 runs finished" in out
  assert "`python launch.py --sweep=config`" in out
  assert report.rewrite(out) == out  # idempotent


def test_rounds_table_gives_the_change_against_round0(tmp_path):
  def rounds_of(p):
    s = p["seed"]
    entries = [{"round": k, "test": _metrics(0.07 + 0.01 * k + 0.001 * s, 0.04),
                "valid": _metrics(0, 0), "data": {"synthetic_share": 0.1 * k},
                "provenance": PROVENANCE, "time_s": {"train": 60.0 * (k + 1), "generate": 30.0},
                **({"generation": {"rows_added": 100 * (k + 1)}} if k < 2 else {})}
               for k in range(3)]
    if s == 1:
      entries[1]["stopped"] = "the next round would train on 30.0x the real rows"
      entries = entries[:2]
    return "rounds.json", entries  # unfinished runs: rounds.json only
  _fake_sweep(str(tmp_path / "r"), [{"rsir.tau": 5, "seed": s} for s in (0, 1)], rounds_of)
  out = report.rewrite(f"<!-- results kind=rounds dirs={tmp_path}/r -->\n<!-- /results -->\n")
  lines = [l for l in out.splitlines() if l.startswith("| 2 |")]
  # Round 2 has seed 0 only, so it is set against seed 0's round 0: 0.0900 / 0.0700 - 1.
  assert len(lines) == 1 and "+28.6% / +0.0%" in lines[0]
  assert "| 0 | 2 | 0.0705 ± 0.0007 |" in out
  assert "| 200 ± 0 (run ended: 1 of 2) |" in out  # seed 1 hit the growth cap after round 1
  round0 = next(l for l in out.splitlines() if l.startswith("| 0 |"))
  assert round0.endswith("(s1) | 2 ± 0 |")  # 1.5 minutes for each seed, rounded
  assert "0 of 2 runs finished" in out


def test_rounds_table_pairs_each_round_with_the_round_before_on_the_same_seed(tmp_path):
  # Recall@10 per seed and round: the round-2 means rise while one seed of three falls.
  recall = {0: (0.040, 0.045, 0.048), 1: (0.042, 0.044, 0.043), 2: (0.041, 0.046, 0.049)}
  def rounds_of(p):
    return "rounds.json", [{"round": k, "test": _metrics(recall[p["seed"]][k], 0.03),
                            "valid": _metrics(0, 0), "data": {"synthetic_share": 0.0},
                            "provenance": PROVENANCE}
                           for k in range(3 if p["seed"] != 2 else 2)]  # seed 2 stopped
  _fake_sweep(str(tmp_path / "p"), [{"seed": s} for s in (0, 1, 2)], rounds_of)
  out = report.rewrite(f"<!-- results kind=rounds dirs={tmp_path}/p -->\n<!-- /results -->\n")
  header = next(l for l in out.splitlines() if l.startswith("| round |")).split(" | ")
  rows = {l.split(" | ")[0][2:]: l.split(" | ") for l in out.splitlines()
          if l[2:3].isdigit()}
  column = header.index("vs the round before, paired on the seed (R / N)")
  assert rows["0"][column] == "-"
  round1 = [0.005, 0.002, 0.005]
  assert rows["1"][column] == (f"+{statistics.fmean(round1):.4f} ± "
                               f"{statistics.stdev(round1):.4f} / +0.0000 ± 0.0000 "
                               "(up at 3 / 0 of 3)")
  round2 = [0.003, -0.001]  # seeds 0 and 1; seed 2 has no round 2
  assert rows["2"][column] == (f"+{statistics.fmean(round2):.4f} ± "
                               f"{statistics.stdev(round2):.4f} / +0.0000 ± 0.0000 "
                               "(up at 1 / 0 of 2)")
  # a fall that rounds to zero reads as no change, not as -0.0000
  assert (report_tables._signed(-0.00001), report_tables._signed(-0.0002)) == ("+0.0000",
                                                                             "-0.0002")


def test_rounds_table_shows_interactions_and_the_ensemble_where_runs_have_them(tmp_path):
  def rounds_of(p):
    entries = [{"round": k, "test": _metrics(0.07, 0.04), "valid": _metrics(0, 0),
                "data": {"synthetic_share": 0.0}, "provenance": PROVENANCE,
                "time_s": {"train": 60.0}} for k in range(2)]
    entries[0]["generation"] = {"rows_added": 10, "interactions_added": 50 + p["seed"] * 10}
    entries[1]["ensemble"] = {"rounds": [0, 1], "test": _metrics(0.08 + 0.01 * p["seed"], 0.05)}
    return "rounds.json", entries
  _fake_sweep(str(tmp_path / "e"), [{"seed": s} for s in (0, 1)], rounds_of)
  out = report.rewrite(f"<!-- results kind=rounds dirs={tmp_path}/e -->\n<!-- /results -->\n")
  header = next(l for l in out.splitlines() if l.startswith("| round |"))
  assert "| ensemble with the round before, R@10 / N@10 |" in header
  assert "| interactions added |" in header
  round0 = next(l for l in out.splitlines() if l.startswith("| 0 |"))
  assert "| - | - | - | 10 ± 0 | 55 ± 7 |" in round0  # no ensemble, no change in round 0
  round1 = next(l for l in out.splitlines() if l.startswith("| 1 |"))
  assert f"| 0.0850 ± {statistics.stdev([0.08, 0.09]):.4f} / 0.0500 ± 0.0000 |" in round1


def test_rounds_table_sets_the_papers_table2_beside_each_arm(tmp_path):
  def rounds_of(p):
    return "rounds.json", [{"round": k, "test": _metrics(0.05, 0.03), "valid": _metrics(0, 0),
                            "data": {"synthetic_share": 0.0}, "provenance": PROVENANCE,
                            "time_s": {"train": 60.0}} for k in range(3)]
  points = [{"data.name": "sports", "rsir.fidelity": f, "rsir.sources": src, "seed": 0}
            for f, src in ((True, "all"), (False, "all"), (False, "real"))]
  _fake_sweep(str(tmp_path / "t"), points, rounds_of)
  block = f"<!-- results kind=rounds dirs={tmp_path}/t paper=table2 -->\n<!-- /results -->\n"
  lines = [l for l in report.rewrite(block).splitlines() if l.startswith("| ")]
  assert lines[0].endswith("| min | paper R@10 / N@10 |")
  rows = lines[1:]
  cells = {tuple([l.split(" | ")[0][2:]] + l.split(" | ")[1:3]): l.split(" | ")[-1]
           for l in rows}  # (fidelity, sources, round): the paper's cell
  assert cells["True", "all", "2"] == "0.0517 / 0.0294 |"     # with the check, round 2
  assert cells["False", "all", "1"] == "0.0472 / 0.0273 |"    # without it, from every row
  assert cells["False", "real", "1"] == "- |"                  # an arm the paper did not run
  assert config_lib.paper_table2({"data.name": "beauty"}, 1) == (0.0594, None)
  assert "paper" not in report.rewrite(block.replace(" paper=table2", ""))


def _kept(text: str) -> str:
  """`text` without the note a block left as it was gets (and without blank lines)."""
  return "\n".join(l for l in text.splitlines()
                   if l.strip() and not l.startswith(report.NOT_KEPT)) + "\n"


def test_missing_runs_leave_the_block_as_it_was(tmp_path):
  text = f"<!-- results kind=runs dirs={tmp_path}/nowhere -->\nkept\n<!-- /results -->\n"
  assert _kept(report.rewrite(text)) == text
  # One folder of two present: the block is left as it was, not shrunk to that folder's rows.
  result = lambda p: ("results.json", {"valid": _metrics(0, 0), "test": _metrics(0.09, 0.05),
                                       "best_epoch": 3, "provenance": PROVENANCE})
  _fake_sweep(str(tmp_path / "here"), [{"seed": 0}], result)
  bench = tmp_path / "bench.json"
  bench.write_text(json.dumps({"rows": [{"epoch_s": 2.5}], "command": "python -m bench",
                               "provenance": PROVENANCE}))
  for kind, present in (("runs", tmp_path / "here"), ("bench", bench)):
    text = (f"<!-- results kind={kind} dirs={present},{tmp_path}/nowhere -->\nkept\n"
            "<!-- /results -->\n")
    left = []
    assert _kept(report.rewrite(text, left)) == text
    assert left == [f"line 1: left as it was: missing {tmp_path}/nowhere"]
    alone = text.replace(f",{tmp_path}/nowhere", "")
    assert "kept" not in report.rewrite(alone)  # the present folder alone is regenerated


def test_a_block_left_as_it_was_says_so_in_the_document(tmp_path):
  """The note names the missing folder and the commit and date of the caption's figures, and
  is replaced, not repeated, when the report runs again."""
  caption = ("<sub>From `python launch.py`; commit abc1234; CPU x86_64, 2 cores; 2026-11-28; "
             "4 of 4 runs finished.</sub>")
  text = (f"<!-- results kind=runs dirs={tmp_path}/gone -->\n\n| a |\n|---|\n| 1 |\n\n"
          f"{caption}\n\n<!-- /results -->\n")
  once = report.rewrite(text)
  note = [l for l in once.splitlines() if l.startswith(report.NOT_KEPT)]
  assert note == [f"{report.NOT_KEPT} {tmp_path}/gone is not in the repository (its result "
                  "files were not kept), so the figures above are as generated at commit "
                  "abc1234, 2026-11-28.</sub>"]
  assert "| 1 |" in once and caption in once
  assert report.rewrite(once) == once


def test_generation_table_relates_added_interactions_to_the_real_ones(tmp_path):
  def generated(p):
    g = {"rows_added": 100 * p["rsir.tau"], "interactions_added": 10 * p["rsir.tau"] * 40,
         "check_pass_rate": [0.5, 0.25], "real_first_check_pass_rate": 0.3, "mean_length": 1.5,
         "no_generated_item": 0}
    return "results.json", {"rounds": [{"round": 0, "test": _metrics(0.1, 0.05),
                                        "valid": _metrics(0, 0), "generation": g,
                                        "data": {"interactions": 4000, "synthetic_share": 0.0},
                                        "provenance": PROVENANCE}]}
  _fake_sweep(str(tmp_path / "g"), [{"rsir.tau": t} for t in (5, 20)], generated)
  out = report.rewrite(f"<!-- results kind=generation dirs={tmp_path}/g -->\n<!-- /results -->\n")
  assert "| 5 | 1 | 500 | +50.0% | 0.50 / 0.25 / 0.00 | 0.30 | 1.50 | 0 |" in out
  assert "| 20 | 1 | 2,000 | +200.0% |" in out


def test_a_field_a_run_predates_counts_as_its_default(tmp_path):
  points = [{"seed": 0}, {"seed": 1}]
  result = lambda p: ("results.json", {"valid": _metrics(0, 0), "test": _metrics(0.09, 0.05),
                                       "best_epoch": 3, "provenance": PROVENANCE})
  _fake_sweep(str(tmp_path / "s"), points, result)
  old_config = tmp_path / "s" / "seed=0" / "config.json"
  config = json.loads(old_config.read_text())
  del config["rsir"]["max_rows_factor"]  # written before the field existed
  old_config.write_text(json.dumps(config))
  lines = report.render({"kind": "runs", "dirs": str(tmp_path / "s")})
  assert "max_rows_factor" not in lines[0]
  assert sum(l.count("| 2 |") for l in lines) == 1  # one group of two seeds


def test_bench_table_keeps_small_figures_readable(tmp_path):
  path = tmp_path / "bench.json"
  path.write_text(json.dumps({"command": "python -m benchmarks.x", "provenance": PROVENANCE,
                              "rows": [{"lr": 0.001, "epoch_s": 27.684, "ndcg": 0.05774,
                                        "rows_per_s": 4713.2, "ok": True}]}))
  lines = report.render({"kind": "bench", "dirs": str(path)})
  assert lines[2] == "| 0.001 | 27.68 | 0.05774 | 4,713.20 | True |"
  assert "`python -m benchmarks.x`" in lines[-1]


def test_bench_table_keeps_the_columns_asked_for_in_their_order(tmp_path):
  path = tmp_path / "bench.json"
  path.write_text(json.dumps({"command": "python -m benchmarks.x", "provenance": PROVENANCE,
                              "rows": [{"lr": 0.001, "epoch_s": 27.684, "seed": 0},
                                       {"lr": 0.002, "epoch_s": 20.0, "seed": 1}]}))
  lines = report.render({"kind": "bench", "dirs": str(path), "cols": "seed,lr"})
  assert lines[:4] == ["| seed | lr |", "|---|---|", "| 0 | 0.001 |", "| 1 | 0.002 |"]


def test_rows_files_record_a_command_that_runs_as_typed(tmp_path, monkeypatch):
  """write_rows' command: `python -m module` for a module, arguments with spaces quoted."""
  monkeypatch.setattr(sys, "argv", ["ignored", "--ensemble=two seeds:a:b", "--out=x.json"])
  monkeypatch.setattr(sys.modules["__main__"], "__spec__",
                      types.SimpleNamespace(name="rsir_jax.tools.ensemble_eval"), raising=False)
  provenance.write_rows(str(tmp_path / "rows.json"), [{"a": 1}])
  written = json.loads((tmp_path / "rows.json").read_text())
  assert written["command"] == ("python -m rsir_jax.tools.ensemble_eval '--ensemble=two seeds:a:b' "
                                "--out=x.json")
  assert written["rows"] == [{"a": 1}]
  assert set(written["provenance"]) == set(PROVENANCE) | {"cpu", "cores_used"}
  assert written["provenance"]["cores_used"] == len(os.sched_getaffinity(0))


def test_provenance_names_the_cpu_model_from_cpuinfo(tmp_path):
  cpuinfo = tmp_path / "cpuinfo"
  cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC\ncpu family\t: 26\n"
                     "model\t\t: 2\nflags\t\t: fpu sse2 avx512f avx512bw\n\n"
                     "processor\t: 1\nmodel name\t: other\n")  # the first CPU's lines count
  assert provenance.cpu_description(str(cpuinfo)) == {"cpu": "AMD EPYC (family 26, model 2)",
                                                      "avx512": True}
  cpuinfo.write_text("model name\t: Some CPU\nflags\t: fpu avx2\n")  # no family: as named
  assert provenance.cpu_description(str(cpuinfo)) == {"cpu": "Some CPU", "avx512": False}
  assert provenance.cpu_description(str(tmp_path / "none")) == {"cpu": "unknown",
                                                               "avx512": False}


def test_pivot_table_sets_each_generator_against_round0_of_the_same_seeds(tmp_path):
  # Round 0 differs by seed, so a cell holding seed 0 only must be compared with seed 0's.
  base = {0: 0.070, 1: 0.080}
  gain = {"rsir": 0.010, "reorder": -0.007}
  def rounds_of(p):
    if (p["rsir.generator"], p["seed"]) == ("reorder", 1):
      return None  # not run
    s, g = p["seed"], p["rsir.generator"]
    entries = [{"round": k, "test": _metrics(base[s] + k * gain[g], 0.04), "valid": _metrics(0, 0),
                "data": {"synthetic_share": 0.0}, "provenance": PROVENANCE} for k in (0, 1)]
    return "results.json", {"rounds": entries}
  points = [{"rsir.generator": g, "seed": s} for g in gain for s in (0, 1)]
  _fake_sweep(str(tmp_path / "p"), points, rounds_of)
  out = report.rewrite(f"<!-- results kind=pivot dirs={tmp_path}/p rows=data.name "
                       "cols=rsir.generator -->\n<!-- /results -->\n")
  header = next(l for l in out.splitlines() if l.startswith("| data.name "))
  assert header == "| data.name (columns: rsir.generator) | round 0 | rsir | reorder |"
  row = next(l for l in out.splitlines() if l.startswith("| beauty |")).split(" | ")
  assert row[1] == f"0.0750 ± {statistics.stdev([0.07, 0.08]):.4f} / 0.0400 ± 0.0000 (2 seeds)"
  assert row[2].startswith("0.0850 ± ") and "(+13.3% / +0.0%, 2 seeds)" in row[2]  # 0.085/0.075
  assert row[3] == "0.0630 / 0.0400 (-10.0% / +0.0%, 1 seed) |"  # against seed 0's 0.070
  assert "3 of 4 runs finished" in out
  # A filter counts the points it keeps, the one not started included.
  out = report.rewrite(f"<!-- results kind=pivot dirs={tmp_path}/p rows=data.name "
                       "cols=rsir.generator where=rsir.generator=reorder -->\n<!-- /results -->\n")
  assert "| rsir |" not in out and "1 of 2 runs finished" in out


def test_a_malformed_block_stops_with_one_line_and_changes_nothing(tmp_path, capsys):
  doc = tmp_path / "doc.md"
  text = f"<!-- results kind=pivot dirs={tmp_path} rows=model.name -->\n<!-- /results -->\n"
  doc.write_text(text)
  assert report.main([str(doc)]) == 2
  assert "needs rows=FIELDS and cols=FIELDS" in capsys.readouterr().err
  assert doc.read_text() == text


def test_round_data_table_gives_each_rounds_data_and_generation(tmp_path):
  """Means over seeds of the data of each round (density counts synthetic rows as users, ApEn
  where recorded) and of the generation after it; the last round generated nothing."""
  def result(p):
    seed = p["seed"]
    data = lambda rows, inter, syn: {"rows": rows, "synthetic_rows": rows - 10,
                                     "interactions": inter, "synthetic_share": syn,
                                     "density": inter / (rows * 50)}
    # ApEn recorded in round 1 only (round 0 as in runs made before it was)
    apen = lambda seed: {"apen_m1": 1.0 + seed / 2, "apen_m2": 0.2 + seed / 10,
                         "synthetic_apen_m1": 0.5 + seed / 2, "synthetic_apen_m2": None}
    gen = {"rows_added": 5 + seed, "check_pass_rate": [0.5, 0.25], "mean_length": 2.0,
           "real_first_check_pass_rate": 0.5, "interactions_added": 20}
    rounds = [{"round": 0, "data": data(10, 80, 0.0), "generation": gen,
               "test": _metrics(0.08, 0.04), "valid": _metrics(0, 0), "provenance": PROVENANCE},
              {"round": 1, "data": {**data(16 + seed, 100, 0.2), **apen(seed)},
               "test": _metrics(0.09, 0.05),
               "valid": _metrics(0, 0), "provenance": PROVENANCE}]
    return ("rounds.json", rounds)
  _fake_sweep(str(tmp_path / "s"), [{"seed": 0}, {"seed": 2}], result)
  runs = report._load_runs(str(tmp_path / "s"))[0]
  out = "\n".join(report_tables.round_data_table(runs))
  round0 = next(l for l in out.splitlines() if l.startswith("| 0 |"))
  assert round0 == ("| 0 | 2 | 10 | 80 | 1.60e-01 | 8.00 | 0% | 6 | 0.50 / 0.25 / 0.00 | "
                    "0.50 | 2.00 | - |")
  round1 = next(l for l in out.splitlines() if l.startswith("| 1 |"))
  density = statistics.fmean([100 / (16 * 50), 100 / (18 * 50)])
  assert round1.startswith(f"| 1 | 2 | 17 | 100 | {density:.2e} |")
  assert round1.endswith("| 20% | - | - | - | - | 1.50 / 0.30 (1.00 / -) |")
  # A seed whose run predates ApEn: the mean is over the other, and the cell says so.
  data2 = next(r for r in runs if r["config"]["seed"] == 2)["results"]["rounds"][1]["data"]
  for key in ("apen_m1", "apen_m2", "synthetic_apen_m1", "synthetic_apen_m2"):
    del data2[key]
  round1 = next(l for l in report_tables.round_data_table(runs) if l.startswith("| 1 |"))
  assert round1.endswith("| 1.00 / 0.20 (0.50 / -), at 1 of 2 seeds |")


def test_seed_rounds_table_lists_each_seeds_rounds_and_where_a_run_ended(tmp_path):
  def entry(k, recall, **extra):
    return {"round": k, "test": _metrics(recall, recall / 2), "valid": _metrics(0, 0),
            "data": {"rows": 100 * (k + 1), "synthetic_share": 0.25 * k},
            "provenance": PROVENANCE, **extra}
  gen = lambda n: {"generation": {"rows_added": n}}
  def result(p):
    if p["seed"] == 0:  # finished: the cap ended it after round 1's generation
      return "results.json", {"rounds": [entry(0, 0.04, **gen(100)),
                                         entry(1, 0.05, **gen(900), stopped="cap")]}
    return "rounds.json", [entry(0, 0.03, **gen(120))]  # seed 1: round 1 not finished
  _fake_sweep(str(tmp_path / "s"), [{"seed": 1}, {"seed": 0}], result)
  out = report.rewrite(f"<!-- results kind=seed_rounds dirs={tmp_path}/s -->\n"
                       "<!-- /results -->\n")
  rows = [l for l in out.splitlines() if l[2:3].isdigit()]
  assert rows == ["| 0 | 0 | 0.0400 / 0.0200 | 100 | 0% | 100 |  |",
                  "| 0 | 1 | 0.0500 / 0.0250 | 200 | 25% | 900 | growth cap: the run ended |",
                  "| 1 | 0 | 0.0300 / 0.0150 | 100 | 0% | 120 | run unfinished |"]
  assert "1 of 2 runs finished" in out
