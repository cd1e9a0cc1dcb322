#!/usr/bin/env bash
# The GPU path checked in one call on a lent GPU machine, sized to fit a short lease:
#  1. the environment (GPU, package versions, JAX's devices);
#  2. the benchmarks alone on the device: generation (cached / uncached / slot refilling, then
#     a full round) on a finished baseline run, and baseline training + evaluation throughput
#     (it compiles every bucket shape of two layouts: on an H200 it needed more than its 100 s,
#     and the runs' logs gave the training figures instead);
#  3. the strong-baseline RSIR report runs (CE on prefix rows, tau 5 and 20, seeds 0 and 1,
#     3 rounds; scripts/rsir_report.sh) side by side on the one GPU until DEADLINE_S seconds
#     after the start, then stopped. Each run resumes from its workdir if started again.
# Each run's JSON, CSV, PNG and logs (no checkpoints, no datasets) are packed into OUT/<run>.tgz.
#   bash scripts/gpu_check.sh OUT FINISHED_BASELINE_RUN DEADLINE_S [run names...]
set -uo pipefail
out=$1 base=$2 deadline=$3; shift 3
runs=${*:-ce_prefix_tau5_s0 ce_prefix_tau5_s1 ce_prefix_tau20_s0 ce_prefix_tau20_s1}
work=${GPU_CHECK_WORK:-/tmp/gpu_check}
py=${PYTHON:-python}
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false  # several processes share the GPU
# Generation on a GPU wants many more slots than the 2-core CPU default (256); execution-only.
export RSIR_EXTRA_FLAGS=${RSIR_EXTRA_FLAGS:---config.rsir.chunk_size=65536 --config.rsir.slots=8192}
mkdir -p "$out" "$work"

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $py -c "import sys, jax, flax, optax, orbax.checkpoint as o, ml_collections, numpy
print(sys.version.split()[0], 'jax', jax.__version__, 'flax', flax.__version__, 'optax',
      optax.__version__, 'orbax', o.__version__, 'numpy', numpy.__version__)
print(jax.devices())"
} 2>&1 | tee "$out/env.txt"

echo "== bench_sampler (tau 20, same sample and chunking as the CPU figures in README.md)"
timeout 150 $py -m benchmarks.bench_sampler --workdir="$base" --tau=20 --sample_sources=512 \
  --chunk_size=65536 --slots=256,4096 --full_round_slots=8192 2>&1 \
  | grep --line-buffered -v "^I[0-9]\|^W[0-9]" | tee "$out/bench_sampler.txt"
echo "== bench_baseline (CE; sequence rows and prefix rows)"
timeout 100 $py -m benchmarks.bench_baseline --loss=ce --prefix_rows --fixed_padding=False 2>&1 \
  | grep --line-buffered -v "^I[0-9]\|^W[0-9]" | tee "$out/bench_baseline.txt"

echo "== RSIR runs from $((SECONDS))s, stopped at ${deadline}s: $runs"
# timeout stops a run still going at the deadline, with its whole process group; a stopped
# run resumes from its workdir when started again.
left=$((deadline - SECONDS)); (( left < 30 )) && left=30  # timeout 0 would mean no limit
for name in $runs; do
  timeout $left bash scripts/rsir_report.sh "$work" /nonexistent "$name" \
    > "$work/$name.report" 2>&1 &
done
wait
for name in $runs; do
  tar czf "$out/$name.tgz" --exclude=checkpoints --exclude='*.npz' -C "$work" "$name" "$name.log"
  echo "== $name (at ${SECONDS}s)"
  cat "$work/$name/rounds.csv" 2>/dev/null || grep -v "^I[0-9]\|^W[0-9]" "$work/$name.log" | tail -4
done
