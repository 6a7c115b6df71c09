// The learning-rate-free optimizers on WebGPU (Mesa software adapter): every lrfree-cases.json trajectory
// (the in-place raw passes of kernels/lrfree-step/webgpu.ts; the first step of Schedule-Free and DoG, whose
// state starts as a copy of the weights, through the stock-op passes), with the global sums (d, eta, s)
// reduced on the device; whole optimizers against their stock-op versions on GPT-like shapes.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLrFreeTraceCase } from '../../src/optim/lrfree/trace-case.js';
import { OptimizerSchema } from '../../src/config/schema.js';
import { createOptimizer } from '../../src/optim/create.js';
import type { GradMap, ParamMap } from '../../src/optim/types.js';
import type { TraceCase } from '../../src/optim/metaoptimize/trace-case.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const CASES_PATH = existsSync('test/fixtures/lrfree-cases.json')
  ? 'test/fixtures/lrfree-cases.json'
  : '../shared/reference/lrfree-cases.json';
const cases = JSON.parse(readFileSync(CASES_PATH, 'utf8')) as Record<
  string,
  TraceCase & { expected: { w: number[]; wEval: number[] }[] }
>;

describe.skipIf(webgpu.skip)('lrfree-cases.json on WebGPU (software adapter)', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(Object.keys(cases))(
    '%s within 1e-4 of the displacement + 4 float32 ulps',
    async (name) => {
      const c = cases[name];
      const init = c.problem.tensors.flatMap((t) => t.init);
      const before = tf.memory().numTensors;
      const records = await runLrFreeTraceCase(c, 'auto');
      expect(tf.memory().numTensors).toBe(before);
      records.forEach((r, k) => {
        const e = c.expected[k];
        const displacement = Math.max(...e.w.map((x, i) => Math.abs(x - init[i])));
        for (const key of ['w', 'wEval'] as const) {
          const tol = 1e-4 * displacement + 4 * 2 ** -23 * Math.max(...e[key].map(Math.abs));
          r[key].forEach((a, i) => {
            if (!(Math.abs(a - e[key][i]) <= tol))
              throw new Error(`${name} step ${k + 1} ${key}[${i}]: got ${a}, expected ${e[key][i]} (tol ${tol})`);
          });
        }
      });
    },
    120_000,
  );
});

const SHAPES = [
  { name: 'wte.weight', shape: [97, 64] },
  { name: 'h.0.attn.qkv.weight', shape: [64, 192] },
  { name: 'ln_f.bias', shape: [64] },
];
const METHODS: Record<string, Record<string, unknown>> = {
  'schedulefree-adamw': { base: { type: 'schedulefree-adamw', weightDecay: 0.1, warmupSteps: 2 }, lr: 1e-2 },
  prodigy: { base: { type: 'prodigy', weightDecay: 0.1 }, lr: 1 },
  dog: { base: { type: 'dog', weightDecay: 0.1 }, lr: 1 },
  'dadapt-adam': { base: { type: 'dadapt-adam', weightDecay: 0.1 }, lr: 1 },
  mechanic: { base: { type: 'mechanic', inner: { type: 'adamw', weightDecay: 0.1 } }, lr: 1 },
};

describe.skipIf(webgpu.skip)('learning-rate-free optimizers on WebGPU: in-place passes vs stock ops', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(Object.keys(METHODS))(
    '%s: 4 steps agree, the raw passes run, numTensors unchanged',
    async (method) => {
      const cfg = OptimizerSchema.parse(METHODS[method]);
      const params = (): ParamMap =>
        new Map(
          SHAPES.map((p, i) => [
            p.name,
            tf.tidy(() => tf.variable(tf.randomNormal(p.shape, 0, 0.5, 'float32', i + 1))),
          ]),
        );
      const [a, b, init] = [params(), params(), params()];
      const [fast, ref] = [createOptimizer(cfg, a), createOptimizer(cfg, b, { impl: 'reference' })];
      const gs = tf.scalar(0.8);
      const kernels = new Set<string>();
      const before = tf.memory().numTensors;
      for (let step = 0; step < 4; step++) {
        const grads: GradMap = new Map(
          SHAPES.map((p, i) => [p.name, tf.randomNormal(p.shape, 0, 0.1, 'float32', 100 * step + i)]),
        );
        const info = await tf.profile(async () => {
          await fast.step(a, grads, cfg.lr, gs);
          return tf.scalar(0);
        });
        info.kernels.forEach((k) => kernels.add(k.name));
        tf.dispose(info.result as tf.Tensor);
        await ref.step(b, grads, cfg.lr, gs);
        tf.dispose([...grads.values()]);
      }
      expect(tf.memory().numTensors).toBe(before);
      expect(kernels).toContain('NanometaLrFreeStepInPlace');
      const [sa, sb] = [await fast.sync!(), await ref.sync!()];
      expect(sa.lr![0]).toBeCloseTo(sb.lr![0], 5);
      for (const [name, v] of a) {
        const [x, y, x0] = [await v.data(), await b.get(name)!.data(), await init.get(name)!.data()];
        const moved = Math.max(...Array.from(y, (yi, i) => Math.abs(yi - x0[i])));
        const largest = Math.max(...Array.from(y, Math.abs));
        x.forEach((xi, i) => {
          if (!(Math.abs(xi - y[i]) <= 1e-4 * moved + 8 * 2 ** -23 * largest))
            throw new Error(`${method} ${name}[${i}]: in place ${xi} vs stock ops ${y[i]}`);
        });
      }
      fast.dispose();
      ref.dispose();
      tf.dispose([gs, ...a.values(), ...b.values(), ...init.values()]);
    },
    120_000,
  );
});
