#!/usr/bin/env bash
# The GPU machine's side-by-side run (issue 5), from the repo root there, after
# `../shared/gpu/prepare-carry.sh bench.ts && ../shared/peer-bench/build.sh` here and carry [".device"]:
#   bash bench/gpu.sh ours torch peer mo      (parts in any order; BATCHES="16 64 128" STEPS=10 by default)
# Parts: ours = bench.ts with AdamW; profile = the same with --profile (per-kernel GPU times);
#        scalar = ours with the scalar GEMM inner loop (NANOMETA_GEMM=scalar) for comparison; prefetch = the
#        GEMM with register double-buffering (NANOMETA_GEMM=prefetch) against the default, PAIRS times;
#        submit64 = ours with tfjs submitting every 64 dispatches instead of 15 (NANOMETA_WEBGPU_SUBMIT_BATCH);
#        programs = ours with the optimizer as one tfjs program per output (NANOMETA_OPTIM=programs), the
#        path before the one-pass in-place step (A/B parts run old, new PAIRS times); attnmatmul = ours with attention as matmuls + causal softmax
#        (NANOMETA_ATTENTION=matmul) instead of the fused attention kernel; linearstock = ours with linear
#        layers as stock ops (NANOMETA_LINEAR=stock: no bias/residual epilogue, no GELU fusion); lnprograms =
#        ours with the LayerNorm backward as tfjs programs (NANOMETA_LAYERNORM=programs, 3-4 dispatches) instead
#        of two raw passes;
#        square = ours with the first GEMM planner (NANOMETA_GEMM_PLAN=square: 128x128/64x64 tiles, its split-K)
#        against the default (tiles that fit 288-wide products, wave-filling splits), PAIRS times;
#        tuned = ours with --tune-gemm (times every product's candidate kernels after the first warm-up step;
#        choices cached in $OUT/cache/gemm-tune.json, so a second run of a batch is tuned from the cache);
#        mo = MetaOptimize(AdamW, Lion) and AdamW, interleaved three times; matmul = bench/matmul.ts (options in
#        MATMUL_ARGS, e.g. "--variants vec4,prefetch --tiles 128x128,128x96,auto,square");
#        torch = PyTorch fp32 eager; peer = @genai-fi/nanogpt; summary (once, after the others) = bench/gpu-summary.ts
#        over $OUT/gpu.log into $OUT/summary.md (needs .device/gpu-summary.mjs: add bench/gpu-summary.ts to
#        prepare-carry.sh's entries). Every line also goes to $OUT/gpu.log.
set -uo pipefail
source .device/device-env.sh
OUT=${OUT:-/tmp/nanometa-out}; mkdir -p "$OUT"
export NANOMETA_CACHE_DIR=${NANOMETA_CACHE_DIR:-$OUT/cache} # tuned GEMM choices come back with the results
BATCHES=${BATCHES:-"16 64 128"}; STEPS=${STEPS:-10}; PAIRS=${PAIRS:-1} # PAIRS: old/new pairs of the A/B parts
SHAPES=(--config tinystories-15m --set model.bias=false --backend webgpu)
log() { tee -a "$OUT/gpu.log"; }
ours() { node .device/bench.mjs "${SHAPES[@]}" --set train.batchSize="$1" --steps "$STEPS" "${@:2}" 2>&1 | grep -v '^Warning' | log; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | log
for part in "$@"; do
  if [ "$part" = summary ]; then continue; fi
  for B in $BATCHES; do
    echo "== $part batch $B" | log
    case $part in
      ours) ours "$B" ;;
      profile) ours "$B" --profile ;;
      matmul) node .device/matmul.mjs --tokens $((B * 256)) --chunk 4096 ${MATMUL_ARGS:-} 2>&1 | grep -v "^Warning" | log ;;
      torch) PYTHONUNBUFFERED=1 timeout 120 python3 .device/torch_gpt_bench.py --batch="$B" --mode=fp32 2>&1 | log ;;
      peer) timeout 180 node .device/peer-bench.mjs --batch="$B" --steps=8 2>&1 | grep -E 'RESULT' | log ;;
      mo) for r in 1 2 3; do ours "$B" --optim adamw; ours "$B" --optim mo-adamw-lion; done ;;
      scalar) NANOMETA_GEMM=scalar ours "$B" ;;
      prefetch) for r in $(seq "$PAIRS"); do NANOMETA_GEMM=prefetch ours "$B"; ours "$B"; done ;;
      square) for r in $(seq "$PAIRS"); do NANOMETA_GEMM_PLAN=square ours "$B"; ours "$B"; done ;;
      tuned) ours "$B" --tune-gemm ;;
      submit64) NANOMETA_WEBGPU_SUBMIT_BATCH=64 ours "$B" ;;
      programs) for r in $(seq "$PAIRS"); do NANOMETA_OPTIM=programs ours "$B" --optim mo-adamw-lion; ours "$B" --optim mo-adamw-lion; done ;;
      attnmatmul) for r in $(seq "$PAIRS"); do NANOMETA_ATTENTION=matmul ours "$B"; ours "$B"; done ;;
      linearstock) for r in $(seq "$PAIRS"); do NANOMETA_LINEAR=stock ours "$B"; ours "$B"; done ;;
      lnprograms) for r in $(seq "$PAIRS"); do NANOMETA_LAYERNORM=programs ours "$B"; ours "$B"; done ;;
    esac
  done
done
for part in "$@"; do
  if [ "$part" = summary ]; then node .device/gpu-summary.mjs "$OUT/gpu.log" | tee "$OUT/summary.md"; fi
done
