#!/usr/bin/env bash
# The GPU machine's side-by-side run (issues 5 and 18), from the repo root there, after
# `../shared/gpu/prepare-carry.sh bench.ts bench/matmul/bench-matmul.ts bench/gpu-summary.ts && ../shared/peer-bench/build.sh`
# here and carry [".device"]:
#   bash bench/gpu.sh ours mo torch peer matmul summary      (parts in any order; BATCHES="16 64 128" STEPS=10 by default)
# Parts: ours = bench.ts with AdamW; mo = AdamW and MetaOptimize(AdamW, Lion) interleaved MO_PAIRS times (default 2);
#        profile = ours with --profile (per-kernel GPU times); torch = PyTorch fp32 eager; peer = @genai-fi/nanogpt;
#        matmul = bench/matmul's GEMM variants per product shape of the batch, each validated against a float64
#        reference, then timed (options in MATMUL_ARGS, e.g. "--variants 1,3,4 --plans src,cost --only head");
#        A/B parts, each interleaving the other path and the default PAIRS times (default 1):
#        attnmatmul = attention as batched products + causal softmax (NANOMETA_ATTENTION=matmul) instead of the fused
#        kernels; linearstock = linear layers as stock ops (NANOMETA_LINEAR=stock); programs = the optimizer as one tfjs
#        program per output (NANOMETA_OPTIM=programs) instead of the in-place pass; lnprograms = the LayerNorm
#        backward as tfjs programs (bench.ts --variant lnprograms) instead of two raw passes;
#        summary (once, after the others) = bench/gpu-summary.ts over $OUT/gpu.log into $OUT/summary.md.
# Every line also goes to $OUT/gpu.log.
set -uo pipefail
source .device/device-env.sh
OUT=${OUT:-/tmp/nanometa-out}; mkdir -p "$OUT"
BATCHES=${BATCHES:-"16 64 128"}; STEPS=${STEPS:-10}; PAIRS=${PAIRS:-1}; MO_PAIRS=${MO_PAIRS:-2}
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
      matmul) node .device/bench-matmul.mjs --tokens $((B * 256)) --chunk 4096 ${MATMUL_ARGS:-} 2>&1 | grep -v "^Warning" | log ;;
      torch) PYTHONUNBUFFERED=1 timeout 120 python3 .device/torch_gpt_bench.py --batch="$B" --mode=fp32 2>&1 | log ;;
      peer) timeout 180 node .device/peer-bench.mjs --batch="$B" --steps=8 2>&1 | grep -E 'RESULT' | log ;;
      mo) for r in $(seq "$MO_PAIRS"); do ours "$B" --optim adamw; ours "$B" --optim mo-adamw-lion; done ;;
      programs) for r in $(seq "$PAIRS"); do NANOMETA_OPTIM=programs ours "$B" --optim mo-adamw-lion; ours "$B" --optim mo-adamw-lion; done ;;
      attnmatmul) for r in $(seq "$PAIRS"); do NANOMETA_ATTENTION=matmul ours "$B"; ours "$B"; done ;;
      linearstock) for r in $(seq "$PAIRS"); do NANOMETA_LINEAR=stock ours "$B"; ours "$B"; done ;;
      lnprograms) for r in $(seq "$PAIRS"); do ours "$B" --variant lnprograms; ours "$B"; done ;;
      *) echo "unknown part $part" | log ;;
    esac
  done
done
for part in "$@"; do
  if [ "$part" = summary ]; then node .device/gpu-summary.mjs "$OUT/gpu.log" | tee "$OUT/summary.md"; fi
done
