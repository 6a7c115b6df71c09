#!/bin/bash
# issue 4 evidence: tinystories-tiny, 400 steps, AdamW constant grid vs MetaOptimize(AdamW, Lion) from alpha0 = 3e-5
cd /work/main
common="--config tinystories-tiny --backend cpu --set train.maxSteps=400 --set train.evalInterval=100 --set train.evalIters=16 --set train.checkpointInterval=400"
run() { name=$1; shift; npx tsx train.ts $common --out out/evidence/$name "$@" > out/evidence/$name.log 2>&1; echo "$name done"; }
export -f run; export common
printf '%s\n' \
 "adamw-1e-3 --optim adamw --set optimizer.base.beta2=0.999 --set optimizer.lr=1e-3" \
 "adamw-3e-3 --optim adamw --set optimizer.base.beta2=0.999 --set optimizer.lr=3e-3" \
 "mo-adamw-lion-a3e-5 --optim mo-adamw-lion --set optimizer.lr=3e-5 --set optimizer.metaOptimize.meta.lr=0.023" \
 "adamw-1e-2 --optim adamw --set optimizer.base.beta2=0.999 --set optimizer.lr=1e-2" \
 "mo-adamw-lion-layerwise-a3e-5 --optim mo-adamw-lion-layerwise --set optimizer.lr=3e-5 --set optimizer.metaOptimize.meta.lr=0.023" \
 | xargs -P 2 -I{} bash -c 'run {}'
