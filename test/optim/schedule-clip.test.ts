// nanoGPT's get_lr (warmup, cosine midpoint, floor after decay) and torch-style global-norm clipping.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptimizerSchema } from '../../src/config/schema.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { getLr } from '../../src/optim/schedule.js';
import type { GradMap } from '../../src/optim/types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('getLr', () => {
  const cosine = OptimizerSchema.parse({ lr: 1e-3, schedule: { type: 'cosine', warmupSteps: 10, decaySteps: 110, minLr: 1e-4 } });

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
  const make = (): GradMap => new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor2d([[0, 4]])]]); // global norm 5

  it('scales every gradient by maxNorm/(norm + 1e-6) and disposes the replaced tensors', async () => {
    const before = tf.memory().numTensors;
    const grads = make();
    const { grads: clipped, norm } = await clipGradNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(clipped.get('a')).not.toBe(grads.get('a'));
    expect(grads.get('a')!.isDisposed).toBe(true);
    const k = 1 / (5 + 1e-6);
    expect(Array.from(clipped.get('a')!.dataSync())).toEqual([expect.closeTo(3 * k, 6), 0]);
    expect(Array.from(clipped.get('b')!.dataSync())).toEqual([0, expect.closeTo(4 * k, 6)]);
    expect(clipped.get('b')!.shape).toEqual([1, 2]);
    tf.dispose([...clipped.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves gradients under the limit (or with clipping off) untouched and reports the norm', async () => {
    const before = tf.memory().numTensors;
    for (const maxNorm of [10, 0]) {
      const grads = make();
      const out = await clipGradNorm(grads, maxNorm);
      expect(out.norm).toBeCloseTo(5, 6);
      expect(out.grads.get('a')).toBe(grads.get('a'));
      expect(Array.from(out.grads.get('b')!.dataSync())).toEqual([0, 4]);
      tf.dispose([...out.grads.values()]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a non-finite norm without scaling', async () => {
    const grads: GradMap = new Map([['a', tf.tensor1d([NaN, 1])]]);
    const out = await clipGradNorm(grads, 1);
    expect(out.norm).toBeNaN();
    expect(out.grads.get('a')).toBe(grads.get('a'));
    tf.dispose([...out.grads.values()]);
  });
});
