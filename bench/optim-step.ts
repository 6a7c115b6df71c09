// Optimizer-step time on the parameter shapes of a small GPT (d 128, 4 layers, vocab 2368): plain AdamW
// vs MetaOptimize(AdamW, Lion) scalar and layerwise, all on the fused NanometaOptimStep kernel (issue 4,
// "step-time overhead"). Each variant is checked against the stock-op reference before it is timed.
// Usage: npx tsx bench/optim-step.ts [--backend cpu] [--iters 10] [--rounds 5] [--d 128] [--layers 4] [--vocab 2368]
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { type BackendChoice } from '../src/backend/select.js';
import { setUpBackend } from '../src/kernels/register.js';
import { ModelSchema, OptimizerSchema } from '../src/config/schema.js';
import { paramTable } from '../src/model/params.js';
import { createOptimizer } from '../src/optim/create.js';
import type { GradMap, Optimizer, ParamMap } from '../src/optim/types.js';
import { runMain } from '../src/util/errors.js';

const program = new Command('optim-step')
  .option('--backend <name>', 'cpu | webgpu | tensorflow | auto', 'cpu')
  .option('--iters <n>', 'timed steps per variant and round', '10')
  .option('--rounds <n>', 'rounds (variants interleaved; the best round is reported)', '5')
  .option('--d <n>', 'nEmbd', '128')
  .option('--layers <n>', 'nLayer', '4')
  .option('--vocab <n>', 'vocabulary rows', '2368');

const ADAMW = { base: { type: 'adamw', weightDecay: 0.1 }, lr: 1e-3 };
const MO = (blocks: string) => ({ ...ADAMW, metaOptimize: { meta: { type: 'lion', lr: 1e-3 }, blocks } });
const VARIANTS: [string, Record<string, unknown>][] = [
  ['1 adamw (plain)', ADAMW],
  ['2 metaoptimize(adamw, lion) scalar', MO('scalar')],
  ['3 metaoptimize(adamw, lion) layerwise', MO('layerwise')],
];

function makeParams(shapes: { name: string; shape: number[] }[], seed: number): ParamMap {
  return new Map(
    shapes.map((s, i) => [s.name, tf.tidy(() => tf.variable(tf.randomNormal(s.shape, 0, 0.02, 'float32', seed + i)))]),
  );
}

function makeGrads(params: ParamMap, seed: number): GradMap {
  return new Map(
    [...params].map(([name, v], i) => [name, tf.randomNormal(v.shape, 0, 1e-3, 'float32', seed + 1000 + i)]),
  );
}

/** Max |fused − reference| over all weights after 2 steps (the check before timing). */
async function check(
  cfg: Record<string, unknown>,
  shapes: { name: string; shape: number[] }[],
  grads: GradMap,
): Promise<number> {
  const a = makeParams(shapes, 1);
  const b = makeParams(shapes, 1);
  const oa = createOptimizer(OptimizerSchema.parse(cfg), a);
  const ob = createOptimizer(OptimizerSchema.parse(cfg), b, { impl: 'reference' });
  for (let s = 0; s < 2; s++) {
    await oa.step(a, grads, 1e-3);
    await ob.step(b, grads, 1e-3);
  }
  const diff = Math.max(...[...a].map(([n, v]) => tf.tidy(() => tf.max(tf.abs(tf.sub(v, b.get(n)!))).dataSync()[0])));
  for (const x of [oa, ob]) x.dispose();
  tf.dispose([...a.values(), ...b.values()]);
  return diff;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall ms and process CPU ms (user + system, all threads) per step; CPU time is steadier on a shared machine. */
async function time(
  opt: Optimizer,
  params: ParamMap,
  grads: GradMap,
  iters: number,
): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 5; i++) await opt.step(params, grads, 1e-3); // warm-up (JIT)
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await opt.step(params, grads, 1e-3);
  [...params.values()][0].dataSync(); // wait for the device (no-op on cpu)
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / iters, cpu: (c.user + c.system) / 1000 / iters };
}

await runMain(async () => {
  const o = program
    .parse()
    .opts<{ backend: string; iters: string; rounds: string; d: string; layers: string; vocab: string }>();
  const info = await setUpBackend(o.backend as BackendChoice);
  const model = ModelSchema.parse({ nEmbd: Number(o.d), nLayer: Number(o.layers), nHead: 4 });
  const shapes = paramTable(model, Number(o.vocab)).map((p) => ({ name: p.name, shape: [...p.shape] }));
  const n = shapes.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  console.log(
    `backend ${info.device}; ${shapes.length} tensors, ${n} parameters (d ${o.d}, ${o.layers} layers, vocab ${o.vocab})`,
  );
  const grads = makeGrads(makeParams(shapes, 1), 1);
  const runs = [];
  for (const [name, cfg] of VARIANTS) {
    const err = await check(cfg, shapes, grads);
    if (!(err < 1e-6)) throw new Error(`${name}: fused kernel differs from the reference by ${err}`);
    const params = makeParams(shapes, 1);
    runs.push({
      name,
      cfg,
      err,
      params,
      opt: createOptimizer(OptimizerSchema.parse(cfg), params),
      ms: [] as number[],
      cpu: [] as number[],
    });
  }
  // Rounds interleave the variants so that load on a shared machine hits them alike; we report the best round.
  for (let round = 0; round < Number(o.rounds); round++) {
    for (const r of runs) {
      const before = tf.memory().numTensors;
      const t = await time(r.opt, r.params, grads, Number(o.iters));
      r.ms.push(t.wall);
      r.cpu.push(t.cpu);
      if (tf.memory().numTensors !== before) throw new Error(`${r.name}: leaked tensors`);
    }
  }
  const base = { wall: Math.min(...runs[0].ms), cpu: median(runs[0].cpu) };
  const pct = (x: number, b: number) => `${x >= b ? '+' : ''}${(((x - b) / b) * 100).toFixed(1)}%`;
  for (const r of runs) {
    const ms = Math.min(...r.ms);
    const cpu = median(r.cpu);
    const streams = r.cfg.metaOptimize ? 9 : 7; // float32 arrays read + written per parameter
    const overhead = r === runs[0] ? '' : ` | overhead wall ${pct(ms, base.wall)}, cpu ${pct(cpu, base.cpu)}`;
    console.log(
      `${r.name.padEnd(38)} wall ${ms.toFixed(2)} ms/step (best round; median ${median(r.ms).toFixed(2)}), cpu ${cpu.toFixed(2)} ms/step (median), ` +
        `${((streams * 4 * n) / ms / 1e6).toFixed(2)} GB/s | ${r.opt.bufferCount} parameter-sized buffers (${(r.opt.bufferCount / shapes.length).toFixed(0)} per tensor) | ` +
        `max |fused-ref| ${r.err.toExponential(1)}${overhead}`,
    );
    r.opt.dispose();
    tf.dispose([...r.params.values()]);
  }
});
