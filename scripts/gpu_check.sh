#!/usr/bin/env bash
# The GPU path checked in one call on a lent GPU machine, sized to fit a short lease:
#  1. the environment (GPU, package versions, JAX's devices);
#  2. the benchmarks alone on the device (their JSON into OUT/bench/): training and evaluation
#     throughput; the Beauty strong baseline's time to quality from a cold start, twice on one
#     fresh compilation-cache folder (cold, then warm: issue 12's GPU figure); and, when
#     BASELINE_RUN names a finished baseline run, generation;
#  3. the experiment configs given (default: the strong-baseline RSIR sweep) as sweeps, one
#     after another, until DEADLINE_S seconds after the start; a stopped sweep resumes from
#     its workdir when started again.
# Each sweep's JSON, CSV, PNG and logs (no checkpoints, no datasets) are packed into
# OUT/<name>.tgz, ready for `python -m rsir_jax.report`.
#   bash scripts/gpu_check.sh OUT DEADLINE_S [configs/X.py[:preset] ...]
set -uo pipefail
out=$1 deadline=$2; shift 2
configs=${*:-configs/rsir_strong_beauty.py}
work=${GPU_CHECK_WORK:-/tmp/gpu_check}
py=${PYTHON:-python}
export PYTHONUNBUFFERED=1
# Generation on a GPU wants many more slots in flight than the CPU default (execution-only:
# the trajectories are the same).
gpu_flags="--config.rsir.chunk_size=65536 --config.rsir.slots=8192"
mkdir -p "$out/bench" "$work"

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $py -c "import sys, jax, flax, optax, orbax.checkpoint as o, ml_collections, numpy
print(sys.version.split()[0], 'jax', jax.__version__, 'flax', flax.__version__, 'optax',
      optax.__version__, 'orbax', o.__version__, 'numpy', numpy.__version__)
print(jax.devices())"
} 2>&1 | tee "$out/env.txt"

echo "== bench_baseline (CE; sequence rows and prefix rows)"
timeout 150 $py -m benchmarks.bench_baseline --loss=ce --prefix_rows --fixed_padding=False \
  --out="$out/bench/baseline_ce.json" 2>&1 | grep --line-buffered -v "^I[0-9]\|^W[0-9]"
echo "== bench_time_to_quality (Beauty strong baseline, 15 epochs; cold then warm cache)"
rm -rf "$work/xla_cache"
for start in cold warm; do
  timeout 240 $py -m benchmarks.bench_time_to_quality --config=configs/sasrec_beauty.py:screen \
    --compile_cache="$work/xla_cache" \
    --out="$out/bench/ttq_beauty_$start.json" 2>&1 | grep --line-buffered -v "^I[0-9]\|^W[0-9]"
done
if [ -n "${BASELINE_RUN:-}" ]; then
  echo "== bench_sampler (tau 20) on $BASELINE_RUN"
  timeout 150 $py -m benchmarks.bench_sampler --workdir="$BASELINE_RUN" --tau=20 \
    --sample_sources=512 --chunk_size=65536 --slots=256,4096 --full_round_slots=8192 \
    --out="$out/bench/sampler_tau20.json" 2>&1 | grep --line-buffered -v "^I[0-9]\|^W[0-9]"
fi

for config in $configs; do
  name=$(basename "${config%%:*}" .py); [[ $config == *:* ]] && name="${name}_${config##*:}"
  left=$((deadline - SECONDS)); (( left < 30 )) && { echo "== $name: no time left"; continue; }
  echo "== $name from ${SECONDS}s, stopped at ${deadline}s"
  timeout "$left" $py launch.py --config="$config" --sweep=config --workdir="$work/$name" \
    $gpu_flags > "$work/$name.log" 2>&1
  tar czf "$out/$name.tgz" --exclude=checkpoints --exclude='*.npz' -C "$work" "$name" "$name.log"
  cat "$work/$name/sweep.md" 2>/dev/null || grep -v "^I[0-9]\|^W[0-9]" "$work/$name.log" | tail -4
done
