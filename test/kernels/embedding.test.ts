// Embedding kernel vs its stock-op reference on every available backend (STYLE 18): values, the scatter-add
// backward (against tf.unsortedSegmentSum and the plain JS loop), autodiff gradients, and tensor hygiene.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingGradLoop } from '../../src/kernels/embedding/cpu.js';
import { embedding, embeddingGrad } from '../../src/kernels/embedding/index.js';
import { embeddingGradReference, embeddingReference } from '../../src/kernels/embedding/reference.js';
import { testBackends } from '../backend/available.js';
import { floats } from './util.js';

/** Ids skewed towards small values, like token frequencies, so runs of equal ids are long. */
function skewedIds(n: number, V: number): Int32Array {
  return Int32Array.from(floats(n, 7), (x) => Math.floor(V * ((x + 1) / 2) ** 3));
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe.each(await testBackends())('embedding on $label', ({ init, skip }) => {
  // B*T = 300 spans two 256-wide sort tiles; V*C = 222 is not a multiple of the 64-thread workgroup.
  const [B, T, V, C] = [3, 100, 37, 6];
  const ids = skewedIds(B * T, V);

  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('forward equals the gather reference exactly', async () => {
    const w = tf.tensor2d(floats(V * C, 1), [V, C]);
    const idx = tf.tensor2d(ids, [B, T], 'int32');
    const out = embedding(w, idx);
    expect(out.shape).toEqual([B, T, C]);
    expect(await maxAbsDiff(out, embeddingReference(w, idx))).toBe(0);
    expect(Array.from((await out.data()).slice(0, C))).toEqual(
      Array.from(floats(V * C, 1).slice(ids[0] * C, ids[0] * C + C)),
    );
  });

  it.skipIf(skip)('embeddingGrad matches tf.unsortedSegmentSum, and the JS loop bit for bit', async () => {
    const dyData = floats(B * T * C, 2);
    const dy = tf.tensor2d(dyData, [B * T, C]);
    const idx = tf.tensor1d(ids, 'int32');
    const got = embeddingGrad(dy, idx, V);
    expect(got.shape).toEqual([V, C]);
    expect(await maxAbsDiff(got, embeddingGradReference(dy, idx, V))).toBeLessThan(1e-5);
    // Same summation order (increasing position) on every backend: deterministic and identical.
    expect(Array.from(await got.data())).toEqual(Array.from(embeddingGradLoop(dyData, ids, V, C)));
    // Rows no id points at get exactly zero.
    const unused = [...Array(V).keys()].filter((v) => !ids.includes(v));
    expect(unused.length).toBeGreaterThan(0);
    const g = await got.data();
    for (const v of unused) expect(Array.from(g.slice(v * C, v * C + C))).toEqual(new Array(C).fill(0));
  });

  it.skipIf(skip)(
    'embeddingGrad with C % 4 = 0 (four columns per GPU thread) matches the JS loop bit for bit',
    async () => {
      const C4 = 8;
      const dyData = floats(B * T * C4, 6);
      const got = embeddingGrad(tf.tensor2d(dyData, [B * T, C4]), tf.tensor1d(ids, 'int32'), V);
      expect(got.shape).toEqual([V, C4]);
      expect(Array.from(await got.data())).toEqual(Array.from(embeddingGradLoop(dyData, ids, V, C4)));
    },
  );

  it.skipIf(skip)('embeddingGrad runs the custom kernel, not tfjs UnsortedSegmentSum', async () => {
    const dy = tf.ones([4, 2]) as tf.Tensor2D;
    const idx = tf.tensor1d([0, 1, 1, 0], 'int32');
    const profile = await tf.profile(() => embeddingGrad(dy, idx, 2));
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain('NanometaEmbeddingGrad');
    expect(names).not.toContain('UnsortedSegmentSum');
  });

  it.skipIf(skip)('embeddingGrad: all ids equal sums every row; ids outside [0, V) are skipped', async () => {
    const dy = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const same = embeddingGrad(dy, tf.tensor1d([2, 2, 2, 2], 'int32'), 3);
    expect(Array.from(await same.data())).toEqual([0, 0, 0, 0, 16, 20]);
    const outside = embeddingGrad(dy, tf.tensor1d([-1, 0, 3, 0], 'int32'), 3);
    expect(Array.from(await outside.data())).toEqual([10, 12, 0, 0, 0, 0]);
  });

  it.skipIf(skip)('gradient through embedding equals autodiff of the reference', async () => {
    const w = tf.tensor2d(floats(V * C, 3), [V, C]);
    const idx = tf.tensor2d(ids, [B, T], 'int32');
    const probe = tf.tensor3d(floats(B * T * C, 4), [B, T, C]); // loss = sum(out * probe), so dL/dout = probe
    const loss = (f: typeof embedding) => (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor2D, idx), probe));
    const got = tf.grad(loss(embedding))(w);
    const want = tf.grad(loss(embeddingReference))(w);
    expect(await maxAbsDiff(got, want)).toBeLessThan(1e-5);
    expect((await tf.sum(tf.abs(got)).data())[0]).toBeGreaterThan(1);
  });

  it.skipIf(skip)('a variableGrads step leaves tf.memory().numTensors unchanged', async () => {
    const w = tf.variable(tf.tensor2d(floats(V * C, 5), [V, C]));
    const idx = tf.tensor2d(ids, [B, T], 'int32');
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(embedding(w as unknown as tf.Tensor2D, idx))));
        w.assign(tf.sub(w, tf.mul(0.01, grads[w.name])));
        return value;
      });
    step().dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it.skipIf(skip)('rejects float ids', () => {
    const w = tf.zeros([4, 2]) as tf.Tensor2D;
    expect(() => embedding(w, tf.zeros([1, 2]) as tf.Tensor2D)).toThrow(/int32/);
  });
});
