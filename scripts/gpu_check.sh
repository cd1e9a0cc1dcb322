#!/usr/bin/env bash
# The GPU path checked in one call on a lent GPU machine, sized to fit a short lease:
#  1. the environment (GPU, package versions, JAX's devices), then a gate: one epoch of the
#     Beauty strong baseline at one batch shape (the GPU setting: one compilation instead
#     of eight; on an H200 a cold first epoch took 36 s against 114 s). If it fails and PINNED_WHEELS names a folder of this project's
#     pinned pure-Python wheels (flax, optax, orbax-checkpoint), they are installed over the
#     machine's own and the gate is tried once more; a second failure ends the check early,
#     so the lease keeps time for a fixed rerun;
#  2. the benchmarks alone on the device: the Beauty strong baseline's time to quality from a
#     cold start, twice on one fresh compilation-cache folder (cold, then warm: issue 12's GPU
#     figure; SKIP_BENCH=1 leaves them out); then generation's throughput (bench_sampler) on
#     BASELINE_RUN, a finished baseline run, or else on the warm run's model;
#  3. the experiment configs given (default: the strong-baseline RSIR sweep), all at once as
#     separate processes sharing the GPU (one small model leaves most of it idle), until
#     DEADLINE_S seconds after the start. An argument is configs/X.py[:preset][@SWEEP_ONLY]:
#     the config's sweep, or the part of it that the --sweep_only filter selects; each
#     argument gets its own workdir (a sweep's folder is locked by the process running it). A
#     stopped sweep resumes from its workdir when started again.
# Everything but checkpoints and datasets (benchmark JSON, runs' JSON/CSV/PNG, logs) is packed
# into OUT/results.tgz before DEADLINE_S; unpack it and gather each config's parts into one
# sweep folder with `python -m rsir_jax.tools.merge_sweeps --into=runs/X DIR/X.part0 DIR/X.part1 ...`
# for `python -m rsir_jax.tools.report`. SMOKE=1 swaps the gate's and the benchmark's config for the
# 'smoke' preset: the script itself checked on a CPU in minutes (give the sweeps ':smoke' too).
#   bash scripts/gpu_check.sh OUT DEADLINE_S [configs/X.py[:preset][@SWEEP_ONLY] ...]
set -uo pipefail
out=$1 deadline=$2; shift 2
configs=("$@"); (( ${#configs[@]} )) || configs=(configs/rsir_strong_beauty.py)
work=${GPU_CHECK_WORK:-/tmp/gpu_check}
py=${PYTHON:-$(command -v python || command -v python3)}
export PYTHONUNBUFFERED=1
# Processes share the GPU: each takes memory as it needs it, not 75% of the card up front.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
# Generation on a GPU wants many more slots in flight than the CPU default (execution-only:
# the trajectories are the same).
gpu_flags=(--config.rsir.chunk_size=65536 --config.rsir.slots=8192)
gate_config=configs/sasrec_beauty.py ttq_config=configs/sasrec_beauty.py:screen
[ -n "${SMOKE:-}" ] && gate_config=configs/sasrec_beauty.py:smoke ttq_config=$gate_config
quiet() { grep --line-buffered -v "^I[0-9]\|^W[0-9]"; }
pack() {
  tar czf "$out/results.tgz" --exclude=checkpoints --exclude=xla_cache --exclude='*.npz' \
    -C "$work" .
}
mkdir -p "$out" "$work/bench"

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $py -c "import sys, jax, flax, optax, orbax.checkpoint as o, ml_collections, numpy
print(sys.version.split()[0], 'jax', jax.__version__, 'flax', flax.__version__, 'optax',
      optax.__version__, 'orbax', o.__version__, 'numpy', numpy.__version__)
print(jax.devices())"
} 2>&1 | tee "$out/env.txt"

gate() {
  echo "== gate: one epoch of the Beauty strong baseline ($1) at ${SECONDS}s"
  rm -rf "$work/gate"
  timeout 150 $py launch.py --config="$gate_config" --config.train.max_epochs=1 \
    --config.data.bucket_lengths='()' --workdir="$work/gate" --compile_cache= \
    > "$work/gate_$1.log" 2>&1 \
    && grep -v "^I[0-9]\|^W[0-9]" "$work/gate_$1.log" | tail -3
}
if ! gate machine_packages; then
  tail -25 "$work/gate_machine_packages.log"
  ok=
  if [ -n "${PINNED_WHEELS:-}" ]; then
    $py -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site_pinned "$PINNED_WHEELS"/*.whl \
      && export PYTHONPATH=/tmp/site_pinned:${PYTHONPATH:-} && gate pinned_wheels && ok=1
    [ -z "$ok" ] && tail -25 "$work/gate_pinned_wheels.log"
  fi
  [ -z "$ok" ] && { echo "== the gate failed: stopped at ${SECONDS}s"; pack; exit 3; }
fi

if [ -n "${SKIP_BENCH:-}" ]; then
  echo "== benchmarks skipped (SKIP_BENCH=1): the lease goes to the sweeps"
else
  echo "== bench_time_to_quality (Beauty strong baseline, 15 epochs; cold then warm cache)"
  rm -rf "$work/xla_cache"
  for start in cold warm; do
    timeout 200 $py -m benchmarks.bench_time_to_quality --config="$ttq_config" \
      --compile_cache="$work/xla_cache" --workdir="$work/ttq_$start" \
      --out="$work/bench/ttq_beauty_$start.json" 2>&1 | quiet \
      | tee "$work/bench/ttq_beauty_$start.log"
  done
fi
# Generation is timed on BASELINE_RUN, or else on the warm run just trained (a finished
# 15-epoch baseline: a model near the bar, so trajectories as long as a real round's).
baseline_run=${BASELINE_RUN:-}
[ -z "$baseline_run" ] && [ -f "$work/ttq_warm/results.json" ] && baseline_run=$work/ttq_warm
if [ -n "$baseline_run" ]; then
  echo "== bench_sampler (tau 20) on $baseline_run"
  timeout 150 $py -m benchmarks.bench_sampler --workdir="$baseline_run" --tau=20 \
    --sample_sources=512 --chunk_size=65536 --slots=256,4096 --full_round_slots=8192 \
    --out="$work/bench/sampler_tau20.json" 2>&1 | quiet | tee "$work/bench/sampler_tau20.log"
fi
pack

left=$((deadline - SECONDS))
echo "== ${#configs[@]} sweep part(s) side by side from ${SECONDS}s, stopped at ${deadline}s"
pids=() names=()
for i in "${!configs[@]}"; do
  arg=${configs[$i]} only=; [[ $arg == *@* ]] && only=${arg#*@}
  config=${arg%%@*}
  name=$(basename "${config%%:*}" .py); [[ $config == *:* ]] && name="${name}_${config##*:}"
  (( ${#configs[@]} > 1 )) && name="${name}.part$i"
  (( left < 30 )) && { echo "== $name: no time left"; continue; }
  echo "== $name: $config ${only:+--sweep_only='$only'}"
  timeout "$left" $py launch.py --config="$config" --sweep=config --workdir="$work/$name" \
    ${only:+--sweep_only="$only"} "${gpu_flags[@]}" > "$work/$name.log" 2>&1 &
  pids+=($!) names+=("$name")
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "== sweeps ended at ${SECONDS}s"
for name in "${names[@]}"; do echo "-- $name"; quiet < "$work/$name.log" | tail -3; done
pack
ls -la "$out"
