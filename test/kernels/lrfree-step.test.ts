// The fused kernel of NanometaLrFreeStep (cpu; wasm: the cpu loops over heap copies) against its stock-op reference
// on random tensors: every pass, with and without the clipping scale gs and weight decay, outputs and sums alike.
// (WebGPU's in-place pass: lrfree-step-webgpu.test.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { testBackends } from '../backend/available.js';
import {
  defaultAttrs,
  LRFREE_STEP_KERNEL,
  lrFreePass,
  PASS_IO,
  type LrFreeAttrs,
  type LrFreeInputs,
  type LrFreePass,
} from '../../src/kernels/lrfree-step/index.js';

const BACKENDS = (await testBackends()).filter((b) => b.label.startsWith('cpu') || b.label.startsWith('wasm'));

const COEF: Record<LrFreePass, number[]> = {
  sf: [],
  'prodigy-acc': [0.09, 0.0008, 0.7],
  'prodigy-apply': [0.02, 3e-9],
  'dog-norms': [],
  'dog-apply': [0.015],
  dadapt: [0.04],
  'mechanic-sums': [0.97],
  'mechanic-apply': [0.97, 1.3e-4, 2.1e-4],
};
const ATTRS: Partial<LrFreeAttrs> = {
  lr: 0.05,
  c: 0.25,
  beta1: 0.9,
  beta2: 0.999,
  beta3: Math.sqrt(0.999),
  bc2: 1 - 0.999 ** 3,
  eps: 1e-8,
  avgWeight: 0.5,
};
const CASES = (Object.keys(PASS_IO) as LrFreePass[]).flatMap((pass) => [
  { pass, gs: false, wd: 0, first: false },
  { pass, gs: true, wd: 0.1, first: false },
  ...(pass === 'dog-norms' ? [{ pass, gs: false, wd: 0, first: true }] : []),
]);

function expectAllClose(a: tf.Tensor, b: tf.Tensor, what: string, rel = 2e-6): void {
  const [x, y] = [a.dataSync(), b.dataSync()];
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const tol = rel * Math.max(1, Math.abs(y[i]));
    if (!(Math.abs(x[i] - y[i]) <= tol)) throw new Error(`${what}[${i}]: kernel ${x[i]} vs reference ${y[i]}`);
  }
}

describe.each(BACKENDS)('NanometaLrFreeStep kernel vs reference on $label', ({ init, skip }) => {
  it.skipIf(!!skip).each(CASES)('$pass gs=$gs wd=$wd first=$first', async ({ pass, gs, wd, first }) => {
    await init();
    expect(
      tf.getKernel(LRFREE_STEP_KERNEL, tf.getBackend()),
      'the kernel, not the reference, runs as auto',
    ).toBeDefined();
    const shape = [7, 33];
    const inputs: LrFreeInputs = tf.tidy(() => {
      const t: LrFreeInputs = {};
      PASS_IO[pass].inputs.forEach((name, k) => {
        if (name === 'coef') return;
        const x = tf.randomNormal(shape, 0, name === 'delta' ? 1e-3 : 0.5, 'float32', 10 + k);
        t[name] = name === 'v' ? tf.abs(x) : x;
      });
      if (COEF[pass].length) t.coef = tf.tensor1d(COEF[pass]);
      if (gs) t.gs = tf.tensor1d([0.6]);
      return t as unknown as tf.TensorContainerObject;
    }) as unknown as LrFreeInputs;
    if (first) delete inputs.x0;
    const attrs = defaultAttrs(pass, { ...ATTRS, wd, first, avgWeight: pass === 'dog-apply' && wd === 0 ? 1 : 0.5 });
    const before = tf.memory().numTensors;
    const fast = lrFreePass(inputs, attrs, 'auto');
    const ref = lrFreePass(inputs, attrs, 'reference');
    expect(Object.keys(fast).sort()).toEqual([...PASS_IO[pass].outputs].sort());
    expect(Object.keys(ref).sort()).toEqual([...PASS_IO[pass].outputs].sort());
    for (const name of PASS_IO[pass].outputs)
      expectAllClose(fast[name]!, ref[name]!, name, name === 'sums' ? 1e-5 : 2e-6);
    tf.dispose([...Object.values(fast), ...Object.values(ref)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });
});
