#!/usr/bin/env bash
# The RSIR runs behind the README's round tables: Beauty, SASRec, the paper's settings
# (m = 5, p = 0.5), tau 5 and 20, on the paper's training setup (sampled softmax, 256
# negatives) and on the strong baseline (full softmax CE); the fidelity-off ablation.
# Round 0 of every sequence-row run is the matching baseline run of scripts/baseline_report.sh
# (same config, patience 10), copied in when it exists so that it is not trained twice;
# prefix-row runs train their own round 0.
#   bash scripts/rsir_report.sh OUT_DIR BASELINE_DIR [run names...]
# Run names: sampled_tau5_s0 sampled_tau20_s0 ce_tau20_s0 ce_prefix_tau5_s0 sampled_nofid_m1_s0
# ... (see `plan`). RSIR_EXTRA_FLAGS is appended to every command: meant for execution-only
# fields such as --config.rsir.slots=8192 on a GPU, which never change a run's results.
set -uo pipefail
out=$1 base=$2; shift 2
mkdir -p "$out"
run() {  # name loss seed rounds [extra flags]
  local name=$1 loss=$2 seed=$3 rounds=$4; shift 4
  local dir="$out/$name" baseline="$base/sasrec_beauty_${loss}_s${seed}"
  # Only sequence-row baselines exist under BASELINE_DIR: prefix-row runs train their own round 0.
  [[ $name == *prefix* ]] && baseline=/nonexistent
  if [ ! -d "$dir/round_0/train" ] && [ -f "$baseline/results.json" ]; then
    mkdir -p "$dir/round_0" && cp -r "$baseline" "$dir/round_0/train"
  fi
  ${PYTHON:-python} launch.py --config=configs/rsir_sasrec_beauty.py --workdir="$dir" \
    --config.train.loss="$loss" --config.seed="$seed" --config.rsir.rounds="$rounds" \
    --config.train.patience=10 "$@" ${RSIR_EXTRA_FLAGS:-} > "$out/$name.log" 2>&1
  echo "== $name"; cat "$dir/rounds.csv" 2>/dev/null || tail -3 "$out/$name.log"
}
plan() {
  case $1 in
    sampled_tau5_s*)  run "$1" sampled "${1##*_s}" 3 --config.rsir.tau=5 ;;
    sampled_tau20_s*) run "$1" sampled "${1##*_s}" 3 --config.rsir.tau=20 ;;
    ce_tau5_s*)       run "$1" ce "${1##*_s}" 3 --config.rsir.tau=5 ;;
    ce_tau20_s*)      run "$1" ce "${1##*_s}" 3 --config.rsir.tau=20 ;;
    # Generation from the real rows only (not the paper's rule): does it stop the runaway?
    sampled_tau20_real_s*) run "$1" sampled "${1##*_s}" 3 --config.rsir.tau=20 --config.rsir.sources=real ;;
    # The strong baseline proper: CE on prefix rows (default_config.strong_baseline).
    ce_prefix_tau*_s*)
      local tau=${1#ce_prefix_tau}; tau=${tau%%_s*}
      run "$1" ce "${1##*_s}" 3 --config.rsir.tau="$tau" --config.train.prefix_rows=True \
        --config.train.batch_size=2048 ;;
    sampled_nofid_s*) run "$1" sampled "${1##*_s}" 2 --config.rsir.fidelity=False ;;
    # m = 1: without the check every trajectory runs until its source is used up (mean length
    # 11 on Beauty), so m = 5 adds ~8x the real interactions per round.
    sampled_nofid_m1_s*) run "$1" sampled "${1##*_s}" 2 --config.rsir.fidelity=False --config.rsir.m=1 ;;
    *) echo "unknown run $1" >&2; return 2 ;;
  esac
}
for name in "${@:-sampled_tau5_s0 sampled_tau20_s0 ce_tau20_s0 sampled_nofid_m1_s0}"; do
  for n in $name; do plan "$n"; done
done
