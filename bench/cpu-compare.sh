#!/usr/bin/env bash
# CPU side by side (issue 13): nanometa on the cpu backend, nanometa on wasm and the PyTorch anchor
# (../shared/cpu/torch_cpu_gpt.py, Debian's python3-torch; skipped with a message where it is absent), alternating
# in one shell for PAIRS rounds at two shapes, then MetaOptimize(AdamW, Lion) against AdamW on wasm, then GFLOP/s of
# every matrix product of a step per shape (bench/wasm-matmul.ts). Prints tokens/s per run and, per shape, the
# medians and their ratios. The machine may be shared: compare ratios from one run of this script, not absolute times.
#   bash bench/cpu-compare.sh            # PAIRS=3 STEPS=10 by default
#   PAIRS=5 SHAPES=tiny bash bench/cpu-compare.sh
#   SHAPES=d128 PAIRS=1 STEPS=3 MO_PAIRS=0 bash bench/cpu-compare.sh   # cpu takes ~10 s a d128 step: keep it short
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3}
STEPS=${STEPS:-10}
SHAPES=${SHAPES:-"tiny d128"}
MO_PAIRS=${MO_PAIRS:-$PAIRS} # rounds of AdamW / MetaOptimize on wasm (0: skip)
TORCH=${TORCH:-../shared/cpu/torch_cpu_gpt.py}
log=$(mktemp)

have_torch=1
if [[ ! -f $TORCH ]]; then
  echo "skipping PyTorch: $TORCH not found (it lives in ../shared/cpu beside the repo)"; have_torch=0
elif ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "skipping PyTorch: /usr/bin/python3 has no torch (apt-get install -y python3-torch)"; have_torch=0
fi

# The issue's tiny shapes (tinystories-tiny's model until 2026-12-04): d 64, 2 layers, 4 heads, T 64, batch 8
TINY_SETS="--set model.nEmbd=64 --set model.nLayer=2 --set model.nHead=4 --set model.blockSize=64 --set train.batchSize=8"

# name: nanometa --set flags | torch arguments | matmul bench arguments
shape_args() {
  case $1 in
    tiny) echo "--config tinystories-tiny $TINY_SETS|vocab=832 seq=64 dim=64 layers=2 heads=4 batch=8 steps=40|--rows 512 --dim 64 --vocab 832" ;;
    d128) echo "--config tinystories-tiny --set model.nEmbd=128 --set model.nLayer=4 --set model.nHead=4 --set model.blockSize=128 --set train.batchSize=16|vocab=832 seq=128 dim=128 layers=4 heads=4 batch=16 steps=12|--rows 2048 --dim 128 --vocab 832" ;;
    *) echo "unknown shape $1 (tiny, d128)" >&2; exit 2 ;;
  esac
}

tokps() { sed -n 's/.*"tokensPerSec":\([0-9.]*\).*/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'; }

for shape in $SHAPES; do
  IFS='|' read -r ours torch_args mm_args <<<"$(shape_args "$shape")"
  for ((i = 1; i <= PAIRS; i++)); do
    for backend in cpu wasm; do
      # shellcheck disable=SC2086
      t=$(npx tsx bench.ts $ours --backend "$backend" --steps "$STEPS" --warmup 2 | tokps)
      echo "$shape $backend round $i: $t tok/s" | tee -a "$log"
    done
    if ((have_torch)); then
      # shellcheck disable=SC2086
      line=$(/usr/bin/python3 "$TORCH" $torch_args)
      t=$(sed -n 's/.* \([0-9.]*\) tok\/s.*/\1/p' <<<"$line")
      echo "$shape torch round $i: $t tok/s ($line)" | tee -a "$log"
    fi
  done
done

for ((i = 1; i <= MO_PAIRS; i++)); do
  for optim in adamw mo-adamw-lion; do
    # shellcheck disable=SC2086
    t=$(npx tsx bench.ts --config tinystories-tiny $TINY_SETS --optim "$optim" --backend wasm --steps "$STEPS" --warmup 2 | tokps)
    echo "tiny wasm-$optim round $i: $t tok/s" | tee -a "$log"
  done
done

echo; echo "medians (tokens/s) and ratios:"
med() { grep "^$1 $2 round" "$log" | sed 's/.*: \([0-9.]*\) tok\/s.*/\1/' | median; }
for shape in $SHAPES; do
  c=$(med "$shape" cpu); w=$(med "$shape" wasm); p=$( ((have_torch)) && med "$shape" torch || echo nan)
  awk -v s="$shape" -v c="$c" -v w="$w" -v p="$p" 'BEGIN {
    printf "%-5s cpu %8.0f  wasm %8.0f  torch %8s  wasm/cpu %.2fx", s, c, w, p, w / c
    if (p != "nan") printf "  wasm/torch %.2fx  cpu/torch %.2fx", w / p, c / p
    printf "\n" }'
done
if ((MO_PAIRS)); then
  a=$(med tiny wasm-adamw); m=$(med tiny wasm-mo-adamw-lion)
  awk -v a="$a" -v m="$m" 'BEGIN { printf "tiny  wasm AdamW %.0f  MetaOptimize(AdamW, Lion) %.0f tok/s: overhead %.1f%%\n", a, m, (a / m - 1) * 100 }'
fi

echo; echo "matrix products on wasm, GFLOP/s per shape (v1 tfjs-wasm as shipped, v2 nanometa's, cpu):"
for shape in $SHAPES; do
  IFS='|' read -r _ _ mm_args <<<"$(shape_args "$shape")"
  # shellcheck disable=SC2086
  npx tsx bench/wasm-matmul.ts $mm_args --cpu --reps 9 | sed "s/^/$shape /"
done
rm -f "$log"
