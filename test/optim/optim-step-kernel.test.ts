// The fast cpu kernel NanometaOptimStep against its stock-op reference on random tensors, for every base
// optimizer, both conventions, with and without the MetaOptimize trace.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { optimStep, type OptimStepOutputs } from '../../src/kernels/optim-step/index.js';
import { kernelAttrs, resolveBaseSpec } from '../../src/optim/base-spec.js';
import { setUpBackend } from '../../src/kernels/register.js';

beforeAll(async () => {
  await setUpBackend('cpu');
});

const BASES = ['adamw', 'lion', 'sgdm', 'sgd', 'rmsprop'] as const;
const CASES = BASES.flatMap((base) =>
  (['standard', 'reference'] as const).flatMap((convention) =>
    [true, false].map((traced) => ({ base, convention, traced })),
  ),
);

function expectAllClose(a: tf.Tensor, b: tf.Tensor, what: string): void {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const tol = 2e-6 * Math.max(1, Math.abs(y[i]));
    if (!(Math.abs(x[i] - y[i]) <= tol)) throw new Error(`${what}[${i}]: kernel ${x[i]} vs reference ${y[i]}`);
  }
}

describe('NanometaOptimStep cpu kernel vs reference', () => {
  it.each(CASES)('$base $convention traced=$traced', ({ base, convention, traced }) => {
    const shape = [7, 33];
    const [w, g, m, v, h] = tf.tidy(() => [
      tf.randomNormal(shape, 0, 1, 'float32', 1),
      tf.randomNormal(shape, 0, 0.5, 'float32', 2),
      tf.randomNormal(shape, 0, 0.3, 'float32', 3),
      tf.abs(tf.randomNormal(shape, 0, 0.2, 'float32', 4)),
      tf.randomNormal(shape, 0, 0.1, 'float32', 5),
    ]);
    const spec = resolveBaseSpec({ type: base, weightDecay: 0.1 }, convention);
    const attrs = kernelAttrs(spec, 0.03, 0.1, 3, traced ? { gamma: 0.95 } : null);
    const inputs = { w, g, m, v, h: traced ? h : undefined };
    const before = tf.memory().numTensors;
    const fast = optimStep(inputs, attrs, 'auto');
    const ref = optimStep(inputs, attrs, 'reference');
    const names = Object.keys(ref).sort();
    expect(Object.keys(fast).sort()).toEqual(names);
    expect(names).toContain('w');
    if (traced) expect(names).toEqual(expect.arrayContaining(['h', 'z']));
    tf.tidy(() => {
      for (const name of names) {
        const k = name as keyof OptimStepOutputs;
        if (k === 'z') expect(tf.sum(fast.z!).dataSync()[0]).toBeCloseTo(tf.sum(ref.z!).dataSync()[0], 4);
        else expectAllClose(fast[k]!, ref[k]!, name);
      }
      // the step really moved w
      expect(tf.max(tf.abs(tf.sub(fast.w, w))).dataSync()[0]).toBeGreaterThan(1e-4);
    });
    tf.dispose([...Object.values(fast), ...Object.values(ref)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, g, m, v, h]);
  });
});

describe('NanometaOptimStep inPlace', () => {
  it('reuses unshared input storage, leaves shared storage alone, and computes the same numbers', () => {
    const shape = [5, 9];
    const make = () =>
      tf.tidy(() =>
        [1, 2, 3, 4, 5].map((s) =>
          s === 4 ? tf.abs(tf.randomNormal(shape, 0, 1, 'float32', s)) : tf.randomNormal(shape, 0, 1, 'float32', s),
        ),
      );
    const spec = resolveBaseSpec({ type: 'adamw', weightDecay: 0.1 }, 'standard');
    const attrs = { ...kernelAttrs(spec, 0.01, 0.1, 2, { gamma: 0.9 }), inPlace: true };
    const [w, g, m, v, h] = make();
    const ref = optimStep({ w, g, m, v, h }, { ...attrs, inPlace: false }, 'reference');
    const keep = tf.clone(m); // m's storage is shared now: it must not be overwritten
    const mBefore = m.dataSync().slice();
    const wArray = w.dataSync();
    const out = optimStep({ w, g, m, v, h }, attrs, 'auto');
    expect(out.w.dataSync()).toBe(wArray); // w's own array was reused
    expect(keep.dataSync()).toEqual(mBefore); // the shared one was not
    for (const k of ['w', 'm', 'v', 'h'] as const) expectAllClose(out[k]!, ref[k]!, k);
    tf.dispose([w, g, m, v, h, keep, ...Object.values(out), ...Object.values(ref)]);
  });
});
