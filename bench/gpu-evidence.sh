#!/usr/bin/env bash
# Issue 4 evidence on the GPU machine: the docs/results/tiny-evidence runs (same data, model, seed), only
# longer: AdamW constant 1e-3/3e-3/1e-2 vs MetaOptimize(AdamW, Lion) from α0 = 3e-5, trained in parallel.
# Here: ../shared/gpu/prepare-carry.sh bench.ts train.ts, then the device call with carry
# [".device"] runs, from the repo root:  source .device/device-env.sh && bash bench/gpu-evidence.sh
# Every run is stopped (SIGINT: it saves a checkpoint) after RUN_TIMEOUT s, so the script ends within
# RUN_TIMEOUT + KILL_GRACE + a few s; partial runs still leave their curves. Packs every run's
# config.json, metrics.jsonl, checkpoint/state.json (+ logs/) into $OUT/evidence.tar.gz, which unpacks to
# runs/<id>/ for `npx tsx tools/plot-runs.ts --out docs/results/gpu-evidence <dir>/runs/*`.
# Locally (2.5 min on 2 cores): MAX_STEPS=2 EVAL_INTERVAL=2 RUN_TIMEOUT=300 BACKEND=cpu bash bench/gpu-evidence.sh
set -uo pipefail
MAX_STEPS=${MAX_STEPS:-4000}
RUN_TIMEOUT=${RUN_TIMEOUT:-145}   # seconds per run before SIGINT
KILL_GRACE=${KILL_GRACE:-10}      # seconds after SIGINT before SIGKILL
BACKEND=${BACKEND:-webgpu}
EVAL_INTERVAL=${EVAL_INTERVAL:-500}
LOG_INTERVAL=${LOG_INTERVAL:-50}
WORK=${WORK:-/tmp/gpu-evidence}   # run folders (not under $OUT: the call returns at most 8 files)
OUT=${OUT:-/tmp/gpu-evidence-out}
TRAIN=${TRAIN:-.device/train.mjs}
# The bundle has no tokenize-worker.mjs beside it, so the trainer tokenizes in its own thread (it falls
# back by itself; this just says so). Synthetic data: ~2 s.
export NANOMETA_TOKENIZE_WORKERS=${NANOMETA_TOKENIZE_WORKERS:-1}

[ -f "$TRAIN" ] || { echo "gpu-evidence: $TRAIN missing (run ../shared/gpu/prepare-carry.sh ... train.ts here first)" >&2; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK/runs" "$WORK/logs" "$OUT"
start=$SECONDS
eta=0.0046052   # ln(100)/1000: α can climb 100x in a quarter of a 4000-step run
common=(--config tinystories-tiny --backend "$BACKEND" --set "train.maxSteps=$MAX_STEPS"
  --set "train.evalInterval=$EVAL_INTERVAL" --set train.evalIters=16 --set "train.logInterval=$LOG_INTERVAL"
  --set "train.checkpointInterval=$MAX_STEPS")
adamw=(--optim adamw --set optimizer.base.beta2=0.999)
# RUN_SET=main: the grid and MetaOptimize from 3e-5; RUN_SET=bracket: AdamW 3e-4 (to bracket the grid's
# best, 1e-3) and MetaOptimize from 100x below 1e-3 and below 3e-4.
if [ "${RUN_SET:-main}" = bracket ]; then
runs=(
  "adamw-3e-4|${adamw[*]} --set optimizer.lr=3e-4"
  "mo-adamw-lion-a1e-5-eta4.6e-3|--optim mo-adamw-lion --set optimizer.lr=1e-5 --set optimizer.metaOptimize.meta.lr=$eta"
  "mo-adamw-lion-layerwise-a1e-5-eta4.6e-3|--optim mo-adamw-lion-layerwise --set optimizer.lr=1e-5 --set optimizer.metaOptimize.meta.lr=$eta"
  "mo-adamw-lion-layerwise-a3e-6-eta4.6e-3|--optim mo-adamw-lion-layerwise --set optimizer.lr=3e-6 --set optimizer.metaOptimize.meta.lr=$eta"
)
else
runs=(
  "adamw-1e-3|${adamw[*]} --set optimizer.lr=1e-3"
  "adamw-3e-3|${adamw[*]} --set optimizer.lr=3e-3"
  "adamw-1e-2|${adamw[*]} --set optimizer.lr=1e-2"
  "mo-adamw-lion-a3e-5-eta4.6e-3|--optim mo-adamw-lion --set optimizer.lr=3e-5 --set optimizer.metaOptimize.meta.lr=$eta"
  "mo-adamw-lion-layerwise-a3e-5-eta4.6e-3|--optim mo-adamw-lion-layerwise --set optimizer.lr=3e-5 --set optimizer.metaOptimize.meta.lr=$eta"
  "mo-adamw-lion-layerwise-a3e-5-eta1e-3|--optim mo-adamw-lion-layerwise --set optimizer.lr=3e-5 --set optimizer.metaOptimize.meta.lr=1e-3"
)
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
echo "gpu-evidence: ${#runs[@]} runs in parallel, maxSteps $MAX_STEPS, backend $BACKEND, stop after ${RUN_TIMEOUT}s"
pids=(); ids=()
for spec in "${runs[@]}"; do
  id=${spec%%|*}; read -r -a extra <<< "${spec#*|}"
  dir=$WORK/runs/$id
  # Own data cache per run: parallel runs never prepare into the same folder.
  timeout --preserve-status -s INT -k "$KILL_GRACE" "$RUN_TIMEOUT" node "$TRAIN" "${common[@]}" "${extra[@]}" \
    --set "data.cacheDir=$dir/data" --out "$dir" > "$WORK/logs/$id.log" 2>&1 &
  pids+=($!); ids+=("$id")
done
: > "$WORK/exit-codes.txt"
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"; rc=$?
  echo "${ids[$i]} rc=$rc" >> "$WORK/exit-codes.txt"   # the trainer's own: 0 finished or stopped cleanly, 137 killed
done
echo "gpu-evidence: runs ended after $((SECONDS - start)) s"

# One line per run: exit code (+ ',stop' when stopped at RUN_TIMEOUT), last logged step and loss, last eval.
while read -r id rc; do
  m=$WORK/runs/$id/metrics.jsonl
  last=$(grep '"loss"' "$m" 2>/dev/null | tail -n 1)
  ev=$(grep '"valLoss"' "$m" 2>/dev/null | tail -n 1)
  step=$(sed -n 's/.*"step":\([0-9]*\).*/\1/p' <<< "$last")
  tps=$(sed -n 's/.*"tokensPerSec":\([0-9.]*\).*/\1/p' <<< "$last")
  grep -q '^interrupted at step' "$WORK/logs/$id.log" && rc="$rc,stop"   # stopped at RUN_TIMEOUT, checkpoint saved
  printf '%-42s %-7s step %-5s loss %-8s tok/s %-8s last eval: step %s val %s\n' "$id" "$rc" "${step:--}" \
    "$(sed -n 's/.*"loss":\([0-9.e+-]*\).*/\1/p' <<< "$last" | cut -c1-7)" "${tps%%.*}" \
    "$(sed -n 's/.*"step":\([0-9]*\).*/\1/p' <<< "$ev")" "$(sed -n 's/.*"valLoss":\([0-9.e+-]*\).*/\1/p' <<< "$ev" | cut -c1-6)"
  grep -m 3 -iE 'error|exception' "$WORK/logs/$id.log" | cut -c1-300
done < <(sed 's/ rc=/ /' "$WORK/exit-codes.txt")

# Pack: config.json, metrics.jsonl, checkpoint/state.json of every run (no safetensors, no data), logs.
cd "$WORK" || exit 1
files=(exit-codes.txt logs)
for id in "${ids[@]}"; do
  for f in config.json metrics.jsonl checkpoint/state.json; do [ -f "runs/$id/$f" ] && files+=("runs/$id/$f"); done
done
tar -czf "$OUT/evidence.tar.gz" "${files[@]}"
echo "gpu-evidence: $OUT/evidence.tar.gz ($(du -h "$OUT/evidence.tar.gz" | cut -f1), ${#files[@]} entries) after $((SECONDS - start)) s"
