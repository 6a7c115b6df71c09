// The cases of the NanometaLrFreeStep kernel tests (lrfree-step.test.ts on cpu and wasm, lrfree-step-webgpu.test.ts):
// every pass with and without the clipping scale gs and weight decay, its coefficients, random inputs, the
// attrs, and the closeness check of a kernel's output against the stock-op reference.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import {
  defaultAttrs,
  PASS_IO,
  type LrFreeAttrs,
  type LrFreeInputs,
  type LrFreePass,
} from '../../src/kernels/lrfree-step/index.js';

/** Each pass's `coef` (device scalars: d(1−β1), dlr, ratio, …). */
export const COEF: Record<LrFreePass, number[]> = {
  sf: [],
  'prodigy-acc': [0.09, 0.0008, 0.7],
  'prodigy-apply': [0.02, 3e-9],
  'dog-norms': [],
  'dog-apply': [0.015],
  dadapt: [0.04],
  'mechanic-sums': [0.97],
  'mechanic-apply': [0.97, 1.3e-4, 2.1e-4],
};

export const CASES = (Object.keys(PASS_IO) as LrFreePass[]).flatMap((pass) => [
  { pass, gs: false, wd: 0, first: false },
  { pass, gs: true, wd: 0.1, first: false },
  ...(pass === 'dog-norms' ? [{ pass, gs: false, wd: 0, first: true }] : []),
]);

/** The pass's attrs at fixed hyper-parameters (Adam-like betas, step 3's bias correction). */
export function caseAttrs(pass: LrFreePass, wd: number, first: boolean, extra: Partial<LrFreeAttrs> = {}): LrFreeAttrs {
  return defaultAttrs(pass, {
    lr: 0.05,
    c: 0.25,
    beta1: 0.9,
    beta2: 0.999,
    beta3: Math.sqrt(0.999),
    bc2: 1 - 0.999 ** 3,
    eps: 1e-8,
    wd,
    first,
    avgWeight: pass === 'dog-apply' && wd === 0 ? 1 : 0.5,
    ...extra,
  });
}

/** The pass's inputs: seeded normals (v positive, delta small), coef, gs when asked; no x0 on DoG's first step. */
export function caseInputs(pass: LrFreePass, gs: boolean, first: boolean, shape: number[]): LrFreeInputs {
  const t: LrFreeInputs = {};
  PASS_IO[pass].inputs.forEach((name, k) => {
    if (name === 'coef' || (first && name === 'x0')) return;
    t[name] = tf.tidy(() => {
      const x = tf.randomNormal(shape, 0, name === 'delta' ? 1e-3 : 0.5, 'float32', 10 + k);
      return name === 'v' ? tf.abs(x) : x;
    });
  });
  if (COEF[pass].length) t.coef = tf.tensor1d(COEF[pass]);
  if (gs) t.gs = tf.tensor1d([0.6]);
  return t;
}

/** |kernel − reference| <= rel · max(1, |reference|) element-wise; names the first element that is not. */
export async function expectAllClose(a: tf.Tensor, b: tf.Tensor, what: string, rel: number): Promise<void> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const tol = rel * Math.max(1, Math.abs(y[i]));
    if (!(Math.abs(x[i] - y[i]) <= tol)) throw new Error(`${what}[${i}]: kernel ${x[i]} vs reference ${y[i]}`);
  }
}
