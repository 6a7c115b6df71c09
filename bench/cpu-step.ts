// Times training steps (forward, backward, AdamW) of a config on the tfjs cpu backend, with tfjs's stock
// kernels (`--stock`: gather's gradient is UnsortedSegmentSum, tfjs's BatchMatMul) or with nanometa's
// (embedding scatter-add, faster BatchMatMul). Prints one JSON line. Run both in one shell to compare:
//   npx tsx bench/cpu-step.ts --config tinystories-tiny --stock; npx tsx bench/cpu-step.ts --config tinystories-tiny
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setUpBackend } from '../src/kernels/register.js';
import { resolveConfig } from '../src/config/resolve.js';
import { buildModel } from '../src/model/gpt.js';
import { paddedVocabSize } from '../src/model/params.js';
import { createOptimizer } from '../src/optim/create.js';
import { trainStep } from '../src/train/step.js';
import { BatchSampler, ArrayTokenStream } from '../src/data/batches.js';
import { Rng } from '../src/util/rng.js';

const o = new Command()
  .option('--config <name>', 'config', 'tinystories-tiny')
  .option('--stock', 'tfjs stock kernels only')
  .option('--steps <n>', 'timed steps', '5')
  .option('--optim <preset>', 'optimizer preset')
  .option('--vocab <n>', 'tokenizer vocabulary', '769')
  .option('-s, --set <kv>', 'override', (v: string, a: string[]) => [...a, v], [] as string[])
  .parse()
  .opts();
if (o.stock) {
  await tf.setBackend('cpu');
} else await setUpBackend('cpu');
const cfg = await resolveConfig({ config: o.config, optim: o.optim, set: o.set });
const V = paddedVocabSize(cfg.model, Number(o.vocab));
const model = buildModel(cfg.model, V, 1);
const optimizer = createOptimizer(cfg.optimizer, model.params);
const rng = new Rng(1);
const sampler = new BatchSampler(
  new ArrayTokenStream(Int32Array.from({ length: 100_000 }, () => rng.int(Number(o.vocab)))),
  cfg.model.blockSize,
  cfg.train.batchSize,
  1,
);
const times: number[] = [];
for (let i = 0; i < Number(o.steps) + 1; i++) {
  const t0 = performance.now();
  const { loss, grads, gradNorm, gradScale } = await trainStep(
    model,
    [sampler.next()],
    cfg.optimizer.gradClip,
    () => undefined,
  );
  await optimizer.step(model.params, grads, cfg.optimizer.lr, gradScale);
  tf.dispose([gradNorm, ...(gradScale ? [gradScale] : [])]);
  await loss.data();
  tf.dispose([loss, ...grads.values()]);
  if (i > 0) times.push(performance.now() - t0); // the first step warms up
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(
  JSON.stringify({
    config: o.config,
    optimizer: optimizer.name,
    kernels: o.stock ? 'tfjs stock' : 'nanometa',
    params: model.paramCount,
    batch: cfg.train.batchSize,
    blockSize: cfg.model.blockSize,
    medianStepMs: Math.round(median),
    tokensPerSec: Math.round((cfg.train.batchSize * cfg.model.blockSize) / (median / 1000)),
  }),
);
