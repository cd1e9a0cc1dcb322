#!/usr/bin/env bash
# The paper's Table 2 as one background queue on this machine's CPU, in order of priority:
# each part is a sweep selection that resumes from its folder (a finished point is skipped),
# so rerunning this script after a stop, a crash or on a fresh clone picks up where the
# committed result files leave off. After each part the result files (JSON, CSV, Markdown,
# PNG; never checkpoints) are copied to SYNC_TO, a checkout where they are committed, with
# the newest generated rows of each unfinished point (sync_round_data). Between parts,
# `bash scripts/table2_queue.sh --sync-only SYNC_TO` copies the same files at any moment.
#
#   nohup bash scripts/table2_queue.sh [SYNC_TO] > table2_queue.log 2>&1 &
#
# To stop it: pkill -f table2_queue.sh; pkill -TERM -f launch.py (a job started in the
# background ignores Ctrl-C's SIGINT; a killed run resumes from its newest checkpoint).
#
# Parts: Beauty seed 2023 with the check; then per seed, Sports and Beauty with the
# check (rounds 0-3) and without it (m = 5, until the 20x growth cap); the nofid_real arm on
# Sports for two seeds; the negatives rules' last control point; then the README headline's runs.
set -uo pipefail
cd "$(dirname "$0")/.."
SYNC_ONLY=0
if [ "${1:-}" = "--sync-only" ]; then SYNC_ONLY=1; shift; fi
SYNC_TO="${1:-}"

sync_results() {
  [ -n "$SYNC_TO" ] || return 0
  for dir in runs/rsir_paper_sports runs/rsir_paper_beauty runs/negatives_rule_beauty \
             runs/sasrec_beauty runs/sasrec_beauty_recbole; do
    [ -d "$dir" ] || continue
    (find "$dir" -path '*/checkpoints' -prune -o -path '*/chunks' -prune -o -type f \
       \( -name '*.json' -o -name '*.jsonl' -o -name '*.csv' -o -name '*.md' -o -name '*.png' \) \
       -print0 | xargs -0 -r cp --parents -t "$SYNC_TO")
    sync_round_data "$dir"
  done
}

# A point takes hours per round and a session may end on a machine that is then replaced,
# with only git left. So an unfinished point's newest generated rows (its newest
# round_<k>/dataset.npz, 0.15-0.9 MB compressed so far) go along with its result files: a fresh
# clone then goes on from round k's training instead of from round 0 (rsir_jax/run/rounds.py
# trains again only what it needs). A finished point's rows are dropped from SYNC_TO.
sync_round_data() {
  local point newest
  for point in "$1"/*/; do
    point="${point%/}"
    [ -f "$point/config.json" ] || continue
    if [ -f "$point/results.json" ]; then
      rm -f "$SYNC_TO/$point"/round_*/dataset.npz
      continue
    fi
    newest=$(ls -d "$point"/round_*/dataset.npz 2>/dev/null | sort -V | tail -1)
    [ -n "$newest" ] || continue
    rm -f "$SYNC_TO/$point"/round_*/dataset.npz
    cp --parents -t "$SYNC_TO" "$newest"
  done
}

part() {  # config, sweep_only filter, workdir
  echo "=== $(date -u +%FT%TZ) $1 --sweep_only='$2'"
  python launch.py --config="$1" --sweep=config --sweep_only="$2" --workdir="$3"
  local rc=$?
  echo "=== $(date -u +%FT%TZ) exit $rc after $1 --sweep_only='$2'"
  sync_results
}

if [ "$SYNC_ONLY" = 1 ]; then sync_results; exit 0; fi

S=configs/rsir_paper_sports.py; SW=runs/rsir_paper_sports
B=configs/rsir_paper_beauty.py; BW=runs/rsir_paper_beauty
CHECK='rsir.fidelity=True'
NOFID='rsir.fidelity=False;rsir.sources=all'
part "$B" "seed=2023;$CHECK" "$BW"
for seed in 2023 0 1; do
  part "$B" "seed=$seed;$CHECK" "$BW"
  part "$S" "seed=$seed;$CHECK" "$SW"
  part "$S" "seed=$seed;$NOFID" "$SW"
  part "$B" "seed=$seed;$NOFID" "$BW"
done
part "$S" "seed=2023,0;rsir.fidelity=False;rsir.sources=real" "$SW"
# The cheap rule's last control point (row_pool seed 1; the rule already fails at two seeds).
part configs/negatives_rule_beauty.py "" runs/negatives_rule_beauty
# The README headline, so that the front door regenerates from the repository.
python launch.py --config=configs/sasrec_beauty.py --sweep=config --workdir=runs/sasrec_beauty
python launch.py --config=configs/sasrec_beauty.py:recbole --sweep=config \
  --workdir=runs/sasrec_beauty_recbole
sync_results
echo "=== $(date -u +%FT%TZ) queue done"
