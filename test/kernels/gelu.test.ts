// Fused GELU (tanh) vs its stock-op reference on every available backend (STYLE 18): values, the gradient
// with a non-trivial upstream dy, vec4 and scalar paths, large |x|, that the fused kernels ran, tensor hygiene.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { geluGradLoop, geluLoop } from '../../src/kernels/gelu/cpu.js';
import { gelu } from '../../src/kernels/gelu/index.js';
import { geluReference } from '../../src/kernels/gelu/reference.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

// (3, 5, 7): 105 elements, the scalar path; (4, 64) and (2, 300): vec4 paths with a partial last workgroup.
const SHAPES: number[][] = [
  [3, 5, 7],
  [4, 64],
  [2, 300],
];

describe.each(await testBackends())('gelu on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('matches the stock-op reference and the float64 loop', async () => {
    for (const [i, shape] of SHAPES.entries()) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = floats(n, 10 + i, 4);
      const x = tf.tensor(data, shape);
      const y = gelu(x);
      expect(y.shape).toEqual(shape);
      const got = await y.data();
      expectClose(got, await geluReference(x).data());
      expectClose(got, geluLoop(data), 1e-5);
    }
  });

  it.skipIf(skip)('is exact where the answer is known and finite for large |x|', async () => {
    // gelu(0) = 0; gelu(x) -> x for large x and -> 0 for large -x; gelu(1) = 0.5 (1 + tanh(K 1.044715)).
    const x = tf.tensor1d([0, 1, 30, -30, 1e4, -1e4]);
    const got = Array.from(await gelu(x).data());
    expect(got[0]).toBe(0);
    expect(got[1]).toBeCloseTo(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 6);
    expect(got[2]).toBeCloseTo(30, 5);
    expect(got[3]).toBeCloseTo(0, 6);
    expect(got[4]).toBeCloseTo(1e4, 1);
    expect(Math.abs(got[5])).toBeLessThan(1e-6);
    const dx = Array.from(
      await tf
        .grad((t: tf.Tensor) => tf.sum(gelu(t)))(x)
        .data(),
    );
    // gelu'(0) = 0.5; saturates to 1 on the right and 0 on the left.
    expect(dx[0]).toBeCloseTo(0.5, 6);
    expect(dx[2]).toBeCloseTo(1, 6);
    expect(Math.abs(dx[3])).toBeLessThan(1e-6);
    expect(dx[4]).toBeCloseTo(1, 6);
    expect(Math.abs(dx[5])).toBeLessThan(1e-6);
  });

  it.skipIf(skip)('has the gradient of the reference under a non-trivial upstream gradient', async () => {
    for (const [i, shape] of SHAPES.entries()) {
      const n = shape.reduce((a, b) => a * b, 1);
      const xData = floats(n, 20 + i, 4);
      const wData = floats(n, 30 + i, 2);
      const x = tf.tensor(xData, shape);
      const w = tf.tensor(wData, shape); // loss = sum(w * gelu(x)), so dy = w
      const got = await tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)))(x)
        .data();
      const want = await tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(geluReference(t), w)))(x)
        .data();
      expectClose(got, want);
      expectClose(got, geluGradLoop(xData, wData), 1e-5);
    }
  });

  it.skipIf(skip)('runs the fused kernels forward and backward, not the stock ops', async () => {
    const x = tf.tensor2d(floats(4 * 64, 3), [4, 64]);
    // customGrad's wrapper shows up as a kernel with an empty name; it runs nothing itself.
    const forward = (await tf.profile(() => gelu(x))).kernels.map((k) => k.name).filter(Boolean);
    expect(forward).toEqual(['NanometaGelu']);
    const backward = await tf.profile(() => tf.grad((t: tf.Tensor) => gelu(t))(x));
    const names = backward.kernels.map((k) => k.name);
    expect(names).toContain('NanometaGeluGrad');
    expect(names).not.toContain('Tanh');
  });

  it.skipIf(skip)('a tidy gradient call leaves tf.memory().numTensors unchanged', async () => {
    const x = tf.tensor2d(floats(2 * 300, 4), [2, 300]);
    const w = tf.tensor2d(floats(2 * 300, 5), [2, 300]);
    const f = () => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)))(x));
    f().dispose(); // warm-up: first calls may create lasting tensors (constants) outside our control
    const before = tf.memory().numTensors;
    const g = f();
    expect(tf.memory().numTensors).toBe(before + 1);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
