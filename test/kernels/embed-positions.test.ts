// embedPositions ([wte, wte[idx] + wpe[t]], kernels/embedding) vs the stock ops with wte used twice,
// on every available backend (STYLE 18): values, the gradients of wte (scatter-add + the handed-on table's own
// gradient in one kernel) and wpe (T = P and T < P), that no (V, C) Add runs, tensor hygiene.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedPositions } from '../../src/kernels/embedding/index.js';
import { embeddingReference } from '../../src/kernels/embedding/reference.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

const reference = (wte: tf.Tensor2D, wpe: tf.Tensor2D, idx: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] => {
  const [B, T] = idx.shape;
  const C = wte.shape[1];
  const pos = tf.slice(wpe, [0, 0], [T, C]);
  return [wte, tf.reshape(tf.add(embeddingReference(wte, idx), pos), [B * T, C]) as tf.Tensor2D];
};

// (B, T, V, C, P): repeated ids (a short vocabulary), C = 6 (not a multiple of 4), C = 8 (vec4 rows), T < P.
const CASES = [
  [3, 4, 5, 6, 4],
  [2, 8, 50, 8, 8],
  [2, 3, 7, 4, 6],
] as const;

function inputs(B: number, T: number, V: number, C: number, P: number, seed: number) {
  let s = seed;
  const ids = Int32Array.from({ length: B * T }, () => (s = (s * 7 + 3) % V));
  return {
    wte: tf.tensor2d(floats(V * C, seed + 1), [V, C]),
    wpe: tf.tensor2d(floats(P * C, seed + 2), [P, C]),
    idx: tf.tensor2d(ids, [B, T], 'int32'),
    u1: tf.tensor2d(floats(V * C, seed + 3, 2), [V, C]), // upstream gradient of the handed-on table (the LM head's)
    u2: tf.tensor2d(floats(B * T * C, seed + 4, 2), [B * T, C]), // upstream gradient of x
  };
}

describe.each(await testBackends())('embedPositions on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('returns wte itself and wte[idx] + wpe[t]', async () => {
    for (const [i, [B, T, V, C, P]] of CASES.entries()) {
      const { wte, wpe, idx } = inputs(B, T, V, C, P, 10 * i);
      const [w, x] = embedPositions(wte, wpe, idx);
      expect(w.dataId).toBe(wte.dataId);
      expect(x.shape).toEqual([B * T, C]);
      expectClose(await x.data(), await reference(wte, wpe, idx)[1].data(), 1e-5);
    }
  });

  it.skipIf(skip)('has the gradients of using wte twice (embedding and tied head) and of wpe', async () => {
    for (const [i, [B, T, V, C, P]] of CASES.entries()) {
      const { wte, wpe, idx, u1, u2 } = inputs(B, T, V, C, P, 100 + 10 * i);
      const loss = (f: typeof embedPositions) => (a: tf.Tensor, b: tf.Tensor) => {
        const [w, x] = f(a as tf.Tensor2D, b as tf.Tensor2D, idx);
        return tf.add(tf.sum(tf.mul(w, u1)), tf.sum(tf.mul(x, u2)));
      };
      const got = tf.grads(loss(embedPositions))([wte, wpe]);
      const want = tf.grads(loss(reference))([wte, wpe]);
      expect(got[1].shape).toEqual([P, C]);
      for (let j = 0; j < 2; j++) expectClose(await got[j].data(), await want[j].data(), 1e-5);
    }
  });

  it.skipIf(skip)('runs one kernel forward and adds the tied gradient inside the scatter-add', async () => {
    const [B, T, V, C, P] = CASES[1];
    const { wte, wpe, idx, u1, u2 } = inputs(B, T, V, C, P, 3);
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const [w, x] = embedPositions(a as tf.Tensor2D, b as tf.Tensor2D, idx);
      return tf.add(tf.sum(tf.mul(w, u1)), tf.sum(tf.mul(x, u2)));
    };
    const names = (await tf.profile(() => tf.grads(f)([wte, wpe]))).kernels.map((k) => k.name);
    expect(names).toContain('NanometaEmbedPositions');
    expect(names).toContain('NanometaEmbeddingGrad');
    expect(names).not.toContain('GatherV2');
    expect(names.filter((n) => n === 'Add')).toHaveLength(1); // the loss's own sum of two terms
  });

  it.skipIf(skip)('a tidy gradient call leaves tf.memory().numTensors unchanged', async () => {
    const [B, T, V, C, P] = CASES[0];
    const { wte, wpe, idx, u1, u2 } = inputs(B, T, V, C, P, 4);
    const g = () =>
      tf.tidy(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const [w, x] = embedPositions(a as tf.Tensor2D, b as tf.Tensor2D, idx);
          return tf.add(tf.sum(tf.mul(w, u1)), tf.sum(tf.mul(x, u2)));
        })([wte, wpe]),
      );
    tf.dispose(g()); // warm-up
    const before = tf.memory().numTensors;
    const out = g();
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(out);
    expect(tf.memory().numTensors).toBe(before);
  });
});
