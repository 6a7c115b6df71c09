// Fused causal softmax vs the stock scale + additive mask + softmax (STYLE 18) on every available backend:
// values and gradients for T below, at and above a workgroup's width, exact zeros above the diagonal,
// that the fused kernels ran, and that no tensor leaks.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalSoftmaxGradLoop, causalSoftmaxLoop } from '../../src/kernels/causal-softmax/cpu.js';
import { causalSoftmax } from '../../src/kernels/causal-softmax/index.js';
import { causalSoftmaxReference } from '../../src/kernels/causal-softmax/reference.js';
import { testBackends } from '../backend/available.js';
import { floats } from './util.js';

/** Asserts max_k |got[k] - want[k]| < tol (absolute, unlike ./util.ts's expectClose). */
function expectMaxAbsDiffBelow(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]));
  expect(worst).toBeLessThan(tol);
}

/** Loss sum(causalSoftmax(s) * w) so every output entry gets its own upstream gradient. */
function weightedLoss(f: typeof causalSoftmax, w: tf.Tensor, scale: number) {
  return (s: tf.Tensor) => tf.sum(tf.mul(f(s, scale), w));
}

// (2,3,5,5): T far below a workgroup; (1,2,70,70): T just past 64, so threads hold 1 or 2 columns; rank 3 too.
const SHAPES: [number[], number][] = [
  [[2, 3, 5, 5], 0.5],
  [[1, 2, 70, 70], 1 / Math.sqrt(8)],
  [[4, 3, 3], 2],
];

describe.each(await testBackends())('causalSoftmax on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('matches the masked stock softmax, with exact zeros above the diagonal', async () => {
    for (const [shape, scale] of SHAPES) {
      const T = shape[shape.length - 1];
      const data = floats(
        shape.reduce((a, b) => a * b, 1),
        T,
        6,
      );
      const x = tf.tensor(data, shape);
      const got = await causalSoftmax(x, scale).data();
      expectMaxAbsDiffBelow(got, await causalSoftmaxReference(x, scale).data(), 1e-5);
      expectMaxAbsDiffBelow(got, causalSoftmaxLoop(data, T, scale), 1e-6);
      for (let k = 0; k < got.length; k++) {
        const [i, j] = [Math.floor(k / T) % T, k % T];
        if (j > i) expect(got[k]).toBe(0);
      }
      // Row i = 0 keeps one entry: exactly 1. Every row sums to 1.
      expect(got[0]).toBeCloseTo(1, 6);
      for (let o = 0; o < got.length; o += T)
        expect(Array.from(got.slice(o, o + T)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      x.dispose();
    }
  });

  it.skipIf(skip)('has the gradient of the masked stock softmax', async () => {
    for (const [shape, scale] of SHAPES) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(floats(n, 7 + n, 4), shape);
      const w = tf.tensor(floats(n, 11 + n, 1), shape);
      const got = await tf
        .grad(weightedLoss(causalSoftmax, w, scale))(x)
        .data();
      const want = await tf
        .grad(weightedLoss(causalSoftmaxReference, w, scale))(x)
        .data();
      expectMaxAbsDiffBelow(got, want, 1e-5);
      expect(got.some((v) => Math.abs(v) > 1e-3)).toBe(true); // not vacuously zero
      tf.dispose([x, w]);
    }
  });

  it.skipIf(skip)('matches the float64 loops on a real model row length (T = 256)', async () => {
    const shape = [1, 2, 256, 256];
    const T = 256;
    const n = shape.reduce((a, b) => a * b, 1);
    const [data, g] = [floats(n, 3, 8), floats(n, 5, 1)];
    const x = tf.tensor(data, shape);
    const w = tf.tensor(g, shape);
    const y = causalSoftmaxLoop(data, T, 0.25);
    expectMaxAbsDiffBelow(await causalSoftmax(x, 0.25).data(), y, 1e-6);
    expectMaxAbsDiffBelow(
      await tf
        .grad(weightedLoss(causalSoftmax, w, 0.25))(x)
        .data(),
      causalSoftmaxGradLoop(g, y, T, 0.25),
      1e-6,
    );
    tf.dispose([x, w]);
  });

  it.skipIf(skip)('covers every row when rows pass the 65535 workgroups-per-dimension limit', async () => {
    // 8200 * 8 = 65600 rows of T = 8: tfjs folds the one-workgroup-per-row dispatch into x and y.
    const [T, scale] = [8, 0.7];
    const shape = [8200, T, T];
    const n = shape.reduce((a, b) => a * b, 1);
    const [data, g] = [floats(n, 21, 5), floats(n, 22, 1)];
    const x = tf.tensor(data, shape);
    const w = tf.tensor(g, shape);
    const y = causalSoftmaxLoop(data, T, scale);
    expectMaxAbsDiffBelow(await causalSoftmax(x, scale).data(), y, 1e-6);
    expectMaxAbsDiffBelow(
      await tf
        .grad(weightedLoss(causalSoftmax, w, scale))(x)
        .data(),
      causalSoftmaxGradLoop(g, y, T, scale),
      1e-6,
    );
    tf.dispose([x, w]);
  });

  it.skipIf(skip)('runs one fused kernel each way and leaks no tensors', async () => {
    const x = tf.tensor(floats(2 * 3 * 9 * 9, 9, 3), [2, 3, 9, 9]);
    const w = tf.tensor(floats(2 * 3 * 9 * 9, 10, 1), [2, 3, 9, 9]);
    const forward = await tf.profile(() => causalSoftmax(x, 0.3));
    const names = forward.kernels.map((k) => k.name);
    expect(names).toContain('NanometaCausalSoftmax');
    expect(names).not.toContain('Softmax');
    (forward.result as tf.Tensor).dispose();
    const backward = await tf.profile(() => tf.grad(weightedLoss(causalSoftmax, w, 0.3))(x));
    expect(backward.kernels.map((k) => k.name)).toContain('NanometaCausalSoftmaxGrad');
    (backward.result as tf.Tensor).dispose();

    const before = tf.memory().numTensors;
    const y = causalSoftmax(x, 0.3);
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
    const dx = tf.grad(weightedLoss(causalSoftmax, w, 0.3))(x);
    await dx.data();
    dx.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
