// The cost table of issue 15, in the spirit of the MetaOptimize paper's Table 1: training-step time and
// optimizer-state memory of every method against AdamW, as ratios from ONE run (the methods interleaved
// round by round so that load on a shared machine hits them alike; best round each). Step time is
// bench/train-step.ts's median step (forward, backward, optimizer) on random tokens; memory is the bytes
// the optimizer allocates for its state (tf.memory() around createOptimizer), and its ratio to the weights.
// Usage: npx tsx bench/optim-cost.ts [--config tinystories-tiny] [--backend cpu] [--steps 5] [--rounds 2] [--out cost.md]
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../src/backend/select.js';
import { setUpBackend } from '../src/kernels/register.js';
import { resolveConfig } from '../src/config/resolve.js';
import { paramTable } from '../src/model/params.js';
import { createOptimizer } from '../src/optim/create.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { runMain } from '../src/util/errors.js';
import { benchTrainStep, benchVocabSize } from './train-step.js';

const PRESETS = ['adamw', 'mo-adamw-lion', 'schedulefree-adamw', 'prodigy', 'dog', 'dadapt-adam', 'mechanic-adamw'];

const program = new Command('optim-cost')
  .option('-c, --config <name|path>', 'config name in configs/ or a file path', 'tinystories-tiny')
  .option('--optims <list>', 'comma-separated presets in configs/optim/ (the first is the baseline)', PRESETS.join(','))
  .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('cpu'))
  .option('--steps <n>', 'timed steps per bench (median)', '5')
  .option('--rounds <n>', 'rounds over all methods (best round reported)', '2')
  .option('--out <file>', 'also write the markdown table here');

await runMain(async () => {
  const o = program
    .parse()
    .opts<{ config: string; optims: string; backend: BackendChoice; steps: string; rounds: string; out?: string }>();
  const presets = o.optims.split(',');
  const backend = await setUpBackend(o.backend);
  const cfgs = await Promise.all(presets.map((optim) => resolveConfig({ config: o.config, optim })));
  const rows = presets.map((name, i) => {
    const cfg = cfgs[i];
    const specs = paramTable(cfg.model, benchVocabSize(cfg)).map((p) => ({ name: p.name, shape: [...p.shape] }));
    const before = tf.memory().numBytes;
    const opt = createOptimizer(cfg.optimizer, specs);
    const stateBytes = tf.memory().numBytes - before;
    const weightBytes = 4 * specs.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    const optimizer = opt.name;
    opt.dispose();
    return { name, optimizer, stateBytes, weightBytes, ms: [] as number[] };
  });
  for (let round = 0; round < Number(o.rounds); round++)
    for (const [i, r] of rows.entries())
      r.ms.push((await benchTrainStep(cfgs[i], backend, { steps: Number(o.steps), warmup: 2 })).medianStepMs);
  const base = rows[0];
  const best = (r: (typeof rows)[number]) => Math.min(...r.ms);
  const lines = [
    `Cost against ${base.name} on ${o.config} (${backend.device}; one run of bench/optim-cost.ts, best of ${o.rounds} interleaved rounds of ${o.steps} steps):`,
    '',
    '| Method | Optimizer | Step time | Step time vs AdamW | Optimizer state | State vs weights | State vs AdamW |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.optimizer} | ${best(r).toFixed(1)} ms | ${(best(r) / best(base)).toFixed(2)}x | ${(r.stateBytes / 2 ** 20).toFixed(2)} MiB | ` +
        `${(r.stateBytes / r.weightBytes).toFixed(2)}x | ${(r.stateBytes / base.stateBytes).toFixed(2)}x |`,
    ),
  ];
  console.log(lines.join('\n'));
  if (o.out) writeFileAtomic(o.out, lines.join('\n') + '\n');
});
