"""The CPU bill of the paper's Table 2 (configs/rsir_paper_{sports,beauty}.py, 3 seeds each),
projected from measured per-round costs, before and after the speed work.

  python -m benchmarks.bill_table2 [--runs=runs] [--bench=runs/bench] [--seeds=3]
      [--out=runs/bench/bill_table2.json]

What is measured, and where it is read:
  * every finished round of the Table 2 sweeps (runs/rsir_paper_*/<point>/rounds.json and
    round_k/train/results.json): its training wall time and training targets, its
    generation time and trajectories, its rows;
  * the cost ratios of the old code against the new, each pair timed on this machine by one
    command: the training epoch per target under the authors' negatives
    (bench_baseline --loss=sampled --negatives=shared,row, files baseline_sampled_{before,
    after}.json) and a generation round per trajectory (bench_sampler on a finished
    round-0 model, compiling included, files sampler_paper_{before,after}.json).
A round no seed has run yet is projected (benchmarks/table2_projection.py): its rows grow
from the round before by the last growth measured on that arm (on the same dataset, else on
the other one; a factor when every row is a source, the rows its last generation added when
only the real rows are); its training costs the seconds per target measured on the same dataset and
arm, its generation the seconds per trajectory of the arm's last measured generation; an arm
without the check stops after the round whose rows would pass rsir.max_rows_factor times the
real rows. "before" scales each round's training and generation by the measured old/new
ratios. Each line says how many of its rounds were measured and how many projected, and the
hours of wall time its rounds have taken so far over the seeds (`wall_h_spent`: training and
generation as each round recorded them, a shared round 0 counted once, in the arm that
trained it; a round ran on one core of a two-lane queue or on both cores, as the queue then
ran).
"""

import json
import os

from absl import app, flags

from benchmarks.table2_projection import project_arm
from rsir_jax import config as config_lib
from rsir_jax.files.provenance import write_rows

_RUNS = flags.DEFINE_string("runs", "runs", "Folder of the run folders.")
_BENCH = flags.DEFINE_string("bench", "runs/bench", "Folder of the benchmark files.")
_SEEDS = flags.DEFINE_integer("seeds", 3, "Seeds per dataset and arm (Table 2: 3).")
_OUT = flags.DEFINE_string("out", "", "JSON file for the figures (empty: print only).")

DATASETS = ("sports", "beauty")
# arm -> (its point's overrides besides the seed, the number of rounds after round 0)
ARMS = {"check": ({}, 3), "nofid": ({"rsir.fidelity": False}, 3),
        "nofid_real": ({"rsir.fidelity": False, "rsir.sources": "real"}, 3)}


def _read(path):
  with open(path) as f:
    return json.load(f)


def _rows_of(path, **where):
  rows = _read(path)["rows"]
  return [r for r in rows if all(r.get(k) == v for k, v in where.items())]


def cost_ratios(bench: str) -> dict:
  """Old over new code: training seconds per target (authors' negatives, bucketed) and
  generation seconds per trajectory (a full round, compiling included)."""
  train = [_rows_of(os.path.join(bench, f"baseline_sampled_{w}.json"), negatives="row",
                    batching="bucketed")[0] for w in ("before", "after")]
  gen = [next(r for r in _read(os.path.join(bench, f"sampler_paper_{w}.json"))["rows"]
              if r["setting"].startswith("full round") and "warm" not in r["setting"])
         for w in ("before", "after")]
  return {"train": train[1]["targets_per_s"] / train[0]["targets_per_s"],
          "generate": gen[1]["per_s"] / gen[0]["per_s"]}


def measured_rounds(run_dir: str) -> list[dict]:
  """Per finished round: its rows, training targets and seconds, and the generation that
  followed it (trajectories, seconds), from the run's kept result files."""
  path = os.path.join(run_dir, "rounds.json")
  if not os.path.exists(path):
    return []
  out = []
  for entry in _read(path):
    train = os.path.join(run_dir, entry["trained_in"], "results.json")
    if not os.path.exists(train):
      continue
    res = _read(train)
    gen = entry.get("generation") or {}
    out.append({"round": entry["round"], "rows": entry["data"]["rows"],
                "trained_in": os.path.realpath(train),
                "targets": res["train_targets"], "train_s": res["wall_time_s"],
                "trajectories": gen.get("trajectories", 0),
                "rows_added": gen.get("rows_added", 0),
                "generate_s": entry.get("time_s", {}).get("generate", 0.0)})
  return out


def spent_hours(per_round: dict, counted: set) -> float:
  """The hours of wall time an arm's measured rounds took (`per_round`: round -> the seeds'
  measurements), each training once: a round 0 another point trained and this one took is
  counted where it ran (`counted` holds the trainings counted so far, and grows)."""
  seconds = 0.0
  for ms in per_round.values():
    for m in ms:
      seconds += m["generate_s"]
      if m["trained_in"] not in counted:
        counted.add(m["trained_in"])
        seconds += m["train_s"]
  return seconds / 3600


def _point(seed: int, overrides: dict) -> str:
  return ",".join(f"{k}={v}" for k, v in {**overrides, "seed": seed}.items())


def main(argv):
  del argv
  ratios = cost_ratios(_BENCH.value)
  print(f"old/new cost, measured: training per target x{ratios['train']:.2f}, generation per "
        f"trajectory x{ratios['generate']:.2f}")
  cap = config_lib.PAPER_MAX_ROWS_FACTOR
  by = {}  # (dataset, arm) -> round -> [measurements over seeds]
  spent, n_run, counted = {}, {}, set()  # (dataset, arm) -> hours its measured rounds took so far
  real = {}
  for dataset in DATASETS:
    sweep = os.path.join(_RUNS.value, f"rsir_paper_{dataset}")
    for arm, (overrides, _) in ARMS.items():
      per_round = {}
      for seed in (2023, 0, 1):
        for m in measured_rounds(os.path.join(sweep, _point(seed, overrides))):
          per_round.setdefault(m["round"], []).append(m)
      # Round 0 is shared by the arms of a seed (trained in the check arm's folder).
      by[dataset, arm] = per_round
      spent[dataset, arm] = spent_hours(per_round, counted)
      n_run[dataset, arm] = sum(map(len, per_round.values()))
    shared0 = by[dataset, "check"].get(0, [])
    for arm in ARMS:  # an arm's round 0 is the check arm's; its own generation is kept
      for m in by[dataset, arm].get(0, []):
        m["train_s"] = shared0[0]["train_s"] if shared0 else m["train_s"]
      if shared0 and not by[dataset, arm].get(0):
        by[dataset, arm][0] = [dict(shared0[0], trajectories=0, generate_s=0.0)]
    real[dataset] = shared0[0]["rows"] if shared0 else None
  rows, total = [], {"before": 0.0, "after": 0.0}
  for dataset in DATASETS:
    other = DATASETS[1 - DATASETS.index(dataset)]
    for arm, (_, rounds) in ARMS.items():
      if dataset == "beauty" and arm == "nofid_real":
        continue  # Table 2's real-rows arm runs on Sports only
      if real[dataset] is None:
        print(f"{dataset:7} {arm:10}: no round 0 measured yet")
        continue
      plan, ok = project_arm(by[dataset, arm], by[other, arm], real[dataset], rounds,
                             0.0 if arm == "check" else cap, arm == "nofid_real",
                             config_lib.get_base_config().rsir.m)
      if arm != "check" and plan:
        plan[0][1] = 0.0  # round 0 is trained once per seed, in the check arm's folder
      seeds = 2 if arm == "nofid_real" else _SEEDS.value
      after = seeds * sum(r[1] + r[2] for r in plan) / 3600
      before = seeds * sum(r[1] * ratios["train"] + r[2] * ratios["generate"]
                           for r in plan) / 3600
      n_measured = sum(r[3] for r in plan)
      line = {"dataset": dataset, "arm": arm, "seeds": seeds, "rounds_trained": len(plan),
              "rounds_measured": n_measured, "complete": ok, "cpu_h_before": before,
              "cpu_h_after": after, "rows_per_round": [round(r[0]) for r in plan],
              "seed_rounds_run": n_run[dataset, arm],
              "wall_h_spent": spent[dataset, arm]}
      rows.append(line)
      total["before"] += before
      total["after"] += after
      print(f"{dataset:7} {arm:10} x{seeds} seeds: rounds 0-{len(plan) - 1} "
            f"({n_measured} measured{'' if ok else ', the rest not projectable yet'}), rows "
            f"{line['rows_per_round']}: {before:6.1f} CPU h before, {after:6.1f} after; "
            f"spent so far {spent[dataset, arm]:.1f} h in {line['seed_rounds_run']} "
            "rounds over the seeds")
  print(f"Table 2 in all: {total['before']:.1f} CPU h before, {total['after']:.1f} after; "
        f"spent so far {sum(spent.values()):.1f} h")
  write_rows(_OUT.value, rows + [{"dataset": "all", "arm": "all", "cpu_h_before": total["before"],
                                  "cpu_h_after": total["after"],
                                  "wall_h_spent": sum(spent.values()),
                                  "train_cost_ratio": ratios["train"],
                                  "generate_cost_ratio": ratios["generate"]}])


if __name__ == "__main__":
  app.run(main)
