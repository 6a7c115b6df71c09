// Fused row logsumexp vs tf.logSumExp on every available backend (STYLE 18): values (large, tiny,
// -Infinity entries, rows longer than one workgroup), its gradient, and that the fused kernel ran.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowLogSumExpLoop } from '../../src/kernels/logsumexp/cpu.js';
import { rowLogSumExp } from '../../src/kernels/logsumexp/index.js';
import { rowLogSumExpReference } from '../../src/kernels/logsumexp/reference.js';
import { testBackends } from '../backend/available.js';
import { floats } from './util.js';

describe.each(await testBackends())('rowLogSumExp on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('matches tf.logSumExp for rows shorter and longer than a workgroup', async () => {
    for (const [n, V, scale] of [
      [3, 7, 1],
      [5, 600, 30],
      [2, 1, 5],
    ] as const) {
      const data = floats(n * V, n + V, scale);
      const x = tf.tensor2d(data, [n, V]);
      const got = await rowLogSumExp(x).data();
      const want = await rowLogSumExpReference(x).data();
      const loop = rowLogSumExpLoop(data, n, V);
      for (let i = 0; i < n; i++) {
        expect(got[i]).toBeCloseTo(want[i], 4);
        expect(got[i]).toBeCloseTo(loop[i], 4);
      }
    }
  });

  it.skipIf(skip)('is stable for large logits and exact where the answer is known', async () => {
    // Row 0: log(e^1000 + e^1000) = 1000 + ln 2. Row 1: log(3 e^-5) = -5 + ln 3. Row 2: -inf entries add nothing.
    const x = tf.tensor2d([
      [1000, 1000, -Infinity],
      [-5, -5, -5],
      [0, -Infinity, -Infinity],
    ]);
    const got = Array.from(await rowLogSumExp(x).data());
    expect(got[0]).toBeCloseTo(1000 + Math.LN2, 3);
    expect(got[1]).toBeCloseTo(-5 + Math.log(3), 5);
    expect(got[2]).toBeCloseTo(0, 6);
  });

  it.skipIf(skip)('runs the fused kernel, and its gradient is softmax(x) * dy', async () => {
    const x = tf.tensor2d(floats(4 * 9, 3, 2), [4, 9]);
    const profile = await tf.profile(() => rowLogSumExp(x));
    expect(profile.kernels.map((k) => k.name)).toContain('NanometaRowLogSumExp');
    const w = tf.tensor1d([1, -2, 0.5, 3]);
    const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(rowLogSumExp(t as tf.Tensor2D), w)))(x);
    const want = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(rowLogSumExpReference(t as tf.Tensor2D), w)))(x);
    const [g, r] = [await got.data(), await want.data()];
    r.forEach((v, i) => expect(g[i]).toBeCloseTo(v, 5));
  });
});
