// Optimizer-step time of the learning-rate-free methods on the parameter shapes of a small GPT (d 128,
// 4 layers, vocab 2368): each method's fused cpu kernel (kernels/lrfree-step/cpu.ts) against its stock-op
// reference (reference.ts), and against plain AdamW on NanometaOptimStep. Each method is checked against its
// reference before it is timed. Usage: npx tsx bench/lrfree-step.ts [--iters 10] [--rounds 5] [--d 128] [--layers 4] [--vocab 2368]
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import type { BackendChoice } from '../src/backend/select.js';
import { setUpBackend } from '../src/kernels/register.js';
import { ModelSchema, OptimizerSchema } from '../src/config/schema.js';
import { paramTable } from '../src/model/params.js';
import { createOptimizer } from '../src/optim/create.js';
import type { KernelImpl } from '../src/optim/fused-optimizer.js';
import type { GradMap, Optimizer, ParamMap } from '../src/optim/types.js';
import { runMain } from '../src/util/errors.js';

const program = new Command('lrfree-step')
  .option('--backend <name>', 'cpu | webgpu | auto', 'cpu')
  .option('--iters <n>', 'timed steps per variant and round', '10')
  .option('--rounds <n>', 'rounds (variants interleaved; the best round is reported)', '5')
  .option('--d <n>', 'nEmbd', '128')
  .option('--layers <n>', 'nLayer', '4')
  .option('--vocab <n>', 'vocabulary rows', '2368');

const METHODS: [string, Record<string, unknown>][] = [
  ['adamw', { base: { type: 'adamw', weightDecay: 0.1 }, lr: 1e-3 }],
  ['schedulefree-adamw', { base: { type: 'schedulefree-adamw', weightDecay: 0.1 }, lr: 2.5e-3 }],
  ['prodigy', { base: { type: 'prodigy', weightDecay: 0.1 }, lr: 1 }],
  ['dog', { base: { type: 'dog' }, lr: 1 }],
  ['dadapt-adam', { base: { type: 'dadapt-adam' }, lr: 1 }],
  ['mechanic(adamw)', { base: { type: 'mechanic', inner: { type: 'adamw' } }, lr: 1 }],
];

const makeParams = (shapes: { name: string; shape: number[] }[]): ParamMap =>
  new Map(
    shapes.map((s, i) => [s.name, tf.tidy(() => tf.variable(tf.randomNormal(s.shape, 0, 0.02, 'float32', 1 + i)))]),
  );
const makeGrads = (params: ParamMap): GradMap =>
  new Map([...params].map(([name, v], i) => [name, tf.randomNormal(v.shape, 0, 1e-3, 'float32', 1001 + i)]));

/**
 * Max |fused − reference| over all weights after 3 steps, in units of (1e-4 of the largest weight move + 4 float32
 * ulps of the largest weight): the tolerance of test/optim/lrfree-cases.test.ts. Below 1 passes.
 */
async function check(
  cfg: Record<string, unknown>,
  shapes: { name: string; shape: number[] }[],
  grads: GradMap,
): Promise<number> {
  const [a, b, init] = [makeParams(shapes), makeParams(shapes), makeParams(shapes)];
  const parsed = OptimizerSchema.parse(cfg);
  const [oa, ob] = [createOptimizer(parsed, a), createOptimizer(parsed, b, { impl: 'reference' })];
  for (let s = 0; s < 3; s++) {
    await oa.step(a, grads, parsed.lr);
    await ob.step(b, grads, parsed.lr);
  }
  const max = (f: (n: string, v: tf.Variable) => tf.Tensor) =>
    Math.max(...[...a].map(([n, v]) => tf.tidy(() => tf.max(f(n, v)).dataSync()[0])));
  const diff = max((n, v) => tf.abs(tf.sub(v, b.get(n)!)));
  const moved = max((n, v) => tf.abs(tf.sub(v, init.get(n)!)));
  const largest = max((_, v) => tf.abs(v));
  for (const x of [oa, ob]) x.dispose();
  tf.dispose([...a.values(), ...b.values(), ...init.values()]);
  return diff / (1e-4 * moved + 4 * 2 ** -23 * largest);
}

async function time(opt: Optimizer, params: ParamMap, grads: GradMap, lr: number, iters: number): Promise<number> {
  for (let i = 0; i < 3; i++) await opt.step(params, grads, lr);
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await opt.step(params, grads, lr);
  await opt.sync?.(); // waits for the device
  return (performance.now() - t0) / iters;
}

await runMain(async () => {
  const o = program
    .parse()
    .opts<{ backend: string; iters: string; rounds: string; d: string; layers: string; vocab: string }>();
  const info = await setUpBackend(o.backend as BackendChoice);
  const shapes = paramTable(
    ModelSchema.parse({ nEmbd: Number(o.d), nLayer: Number(o.layers), nHead: 4 }),
    Number(o.vocab),
  ).map((p) => ({ name: p.name, shape: [...p.shape] }));
  const n = shapes.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  console.log(
    `backend ${info.device}; ${shapes.length} tensors, ${n} parameters (d ${o.d}, ${o.layers} layers, vocab ${o.vocab})`,
  );
  const grads = makeGrads(makeParams(shapes));
  const runs: {
    name: string;
    impl: KernelImpl;
    lr: number;
    err: number;
    params: ParamMap;
    opt: Optimizer & { bufferCount: number };
    ms: number[];
  }[] = [];
  for (const [name, cfg] of METHODS) {
    const err = await check(cfg, shapes, grads);
    if (!(err < 1)) throw new Error(`${name}: fused kernel differs from the reference by ${err} of the tolerance`);
    for (const impl of name === 'adamw' ? (['auto'] as const) : (['auto', 'reference'] as const)) {
      const params = makeParams(shapes);
      const parsed = OptimizerSchema.parse(cfg);
      runs.push({ name, impl, lr: parsed.lr, err, params, opt: createOptimizer(parsed, params, { impl }), ms: [] });
    }
  }
  for (let round = 0; round < Number(o.rounds); round++) {
    for (const r of runs) {
      const before = tf.memory().numTensors;
      r.ms.push(await time(r.opt, r.params, grads, r.lr, Number(o.iters)));
      if (tf.memory().numTensors !== before) throw new Error(`${r.name}: leaked tensors`);
    }
  }
  const best = (r: (typeof runs)[number]) => Math.min(...r.ms);
  const adamw = best(runs[0]);
  for (const r of runs) {
    const ref = runs.find((x) => x.name === r.name && x.impl === 'reference');
    const vsRef =
      r.impl === 'auto' && ref ? ` | fused ${(best(ref) / best(r)).toFixed(2)}x faster than the reference` : '';
    console.log(
      `${`${r.name} ${r.impl === 'auto' ? 'fused' : 'reference'}`.padEnd(30)} ${best(r).toFixed(2)} ms/step (best round) | ${(best(r) / adamw).toFixed(2)}x adamw | ` +
        `${r.opt.bufferCount / shapes.length} buffers per tensor | max |fused-ref| ${r.err.toFixed(2)} of the tolerance${vsRef}`,
    );
    r.opt.dispose();
    tf.dispose([...r.params.values()]);
  }
});
