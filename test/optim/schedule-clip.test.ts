// nanoGPT's get_lr (warmup, cosine midpoint, floor after decay) and torch-style global-norm clipping.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptimizerSchema } from '../../src/config/schema.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { getLr } from '../../src/optim/schedule.js';
import { createOptimizer } from '../../src/optim/create.js';
import type { GradMap } from '../../src/optim/types.js';
import { setUpBackend } from '../../src/kernels/register.js';

beforeAll(async () => {
  await setUpBackend('cpu');
});

describe('getLr', () => {
  const cosine = OptimizerSchema.parse({
    lr: 1e-3,
    schedule: { type: 'cosine', warmupSteps: 10, decaySteps: 110, minLr: 1e-4 },
  });

  it('warms up linearly as lr·(step+1)/(warmup+1)', async () => {
    expect(getLr(0, cosine, 200)).toBeCloseTo(1e-3 / 11, 15);
    expect(getLr(4, cosine, 200)).toBeCloseTo((1e-3 * 5) / 11, 15);
    expect(getLr(9, cosine, 200)).toBeCloseTo((1e-3 * 10) / 11, 15);
  });

  it('is the peak at the end of warmup, halfway at the cosine midpoint, then minLr', async () => {
    expect(getLr(10, cosine, 200)).toBeCloseTo(1e-3, 15);
    expect(getLr(60, cosine, 200)).toBeCloseTo(1e-4 + 0.5 * (1e-3 - 1e-4), 15); // ratio 0.5: coeff 0.5
    expect(getLr(35, cosine, 200)).toBeCloseTo(1e-4 + 0.5 * (1 + Math.cos(Math.PI / 4)) * 9e-4, 15); // ratio 0.25
    expect(getLr(110, cosine, 200)).toBeCloseTo(1e-4, 15);
    expect(getLr(111, cosine, 200)).toBe(1e-4);
    expect(getLr(5000, cosine, 200)).toBe(1e-4);
  });

  it('decays until train.maxSteps when decaySteps is null; constant is lr', async () => {
    const toMax = OptimizerSchema.parse({ lr: 2e-3, schedule: { type: 'cosine', warmupSteps: 0, minLr: 0 } });
    expect(getLr(0, toMax, 100)).toBeCloseTo(2e-3, 15); // (0+1)/(0+1): no warmup
    expect(getLr(50, toMax, 100)).toBeCloseTo(1e-3, 15);
    expect(getLr(100, toMax, 100)).toBeCloseTo(0, 15);
    const constant = OptimizerSchema.parse({ lr: 5e-4 });
    expect([0, 10, 1e6].map((s) => getLr(s, constant, 100))).toEqual([5e-4, 5e-4, 5e-4]);
  });
});

describe('clipGradNorm', () => {
  const make = (): GradMap =>
    new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor2d([[0, 4]])],
    ]); // global norm 5

  it('gives the global norm and the scale maxNorm/(norm + 1e-6) on the device, leaving the gradients alone', async () => {
    const grads = make();
    const before = tf.memory().numTensors;
    const { norm, scale } = clipGradNorm(grads, 1);
    expect((await norm.data())[0]).toBeCloseTo(5, 5);
    expect((await scale!.data())[0]).toBeCloseTo(1 / (5 + 1e-6), 6);
    expect(Array.from(await grads.get('a')!.data())).toEqual([3, 0]);
    tf.dispose([norm, scale!]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...grads.values()]);
  });

  it('scale is exactly 1 under the limit and absent with clipping off', async () => {
    const grads = make();
    const under = clipGradNorm(grads, 10);
    expect((await under.scale!.data())[0]).toBe(1);
    const off = clipGradNorm(grads, 0);
    expect(off.scale).toBeNull();
    expect((await off.norm.data())[0]).toBeCloseTo(5, 5);
    tf.dispose([under.norm, under.scale!, off.norm, ...grads.values()]);
  });

  it('reports a non-finite norm', async () => {
    const grads: GradMap = new Map([['a', tf.tensor1d([NaN, 1])]]);
    const out = clipGradNorm(grads, 1);
    expect((await out.norm.data())[0]).toBeNaN();
    tf.dispose([out.norm, out.scale!, ...grads.values()]);
  });

  // SGD-type bases and meta SGD: unlike Adam or Lion (nearly scale-invariant), a missed scale shows in the result.
  it('an optimizer step with the scale equals a step on pre-scaled gradients (SGDm and MetaOptimize)', async () => {
    for (const preset of [
      { base: { type: 'sgdm' as const, weightDecay: 0.1 }, lr: 1e-1 },
      {
        base: { type: 'sgdm' as const, weightDecay: 0.1 },
        lr: 1e-1,
        metaOptimize: { meta: { type: 'sgd' as const, lr: 1 } },
      },
    ]) {
      const cfg = OptimizerSchema.parse(preset);
      const run = async (scaled: boolean) => {
        const w = new Map<string, tf.Variable>([
          ['a', tf.variable(tf.tensor1d([1, -2, 3]))],
          ['b', tf.variable(tf.tensor2d([[0.5, -0.5]]))],
        ]);
        const opt = createOptimizer(cfg, w);
        for (let i = 0; i < 3; i++) {
          const grads: GradMap = new Map<string, tf.Tensor>([
            ['a', tf.tensor1d([3, 0, i])],
            ['b', tf.tensor2d([[0, 4]])],
          ]); // norm > 1: clipped
          const { norm, scale } = clipGradNorm(grads, 1);
          if (scaled) {
            const pre: GradMap = new Map([...grads].map(([n, g]) => [n, tf.mul(g, scale!)]));
            await opt.step(w, pre, cfg.lr as number);
            tf.dispose([...pre.values()]);
          } else await opt.step(w, grads, cfg.lr as number, scale);
          tf.dispose([norm, scale!, ...grads.values()]);
        }
        const out = [...(await w.get('a')!.data()), ...(await w.get('b')!.data())];
        opt.dispose();
        tf.dispose([...w.values()]);
        return out;
      };
      const [inKernel, preScaled] = [await run(false), await run(true)];
      inKernel.forEach((v, i) => expect(v).toBeCloseTo(preScaled[i], 6));
      expect(Math.abs(inKernel[0] - 1)).toBeGreaterThan(0.01); // the steps moved the weights
    }
  });
});
