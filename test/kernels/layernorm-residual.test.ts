// layerNormResidual ([x, LN(x)], kernels/layernorm/residual.ts) vs using x twice with the stock-op reference, on
// every available backend (STYLE 18): values, gradients when both outputs get one (x's two gradients summed in the
// dx kernel, no Add), with and without bias, on both WebGPU backward paths, that the pass-through shares x's data,
// tensor hygiene.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerNormResidual } from '../../src/kernels/layernorm/index.js';
import { useLayerNormGradPrograms } from '../../bench/layernorm/programs.js';
import { layerNormReference } from '../../src/kernels/layernorm/reference.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

// C = 7 (scalar tail), 300 (64-thread rows, not a multiple), 600 (256-thread rows).
const SHAPES: Array<[number, number]> = [
  [5, 7],
  [3, 300],
  [4, 600],
];

/** loss = sum(u1 * x') + sum(u2 * y) with [x', y] = f(x): x' carries the residual stream's gradient u1. */
function lossOf(
  f: (x: tf.Tensor2D, w: tf.Tensor1D, b?: tf.Tensor1D) => [tf.Tensor2D, tf.Tensor2D],
  u1: tf.Tensor,
  u2: tf.Tensor,
) {
  return (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
    const [xs, y] = f(x as tf.Tensor2D, w as tf.Tensor1D, b as tf.Tensor1D | undefined);
    return tf.add(tf.sum(tf.mul(xs, u1)), tf.sum(tf.mul(y, u2)));
  };
}

const reference = (x: tf.Tensor2D, w: tf.Tensor1D, b?: tf.Tensor1D): [tf.Tensor2D, tf.Tensor2D] => [
  x,
  layerNormReference(x, w, b) as tf.Tensor2D,
];

describe.each(await testBackends())('layerNormResidual on $label', ({ label, init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  // 1031 rows: 2 per chunk of the raw WebGPU backward, the last chunk short; C 48 and 288 (the 15m model's).
  it.skipIf(skip)('has the reference gradients at C 48 and 288 over 1031 rows, on every backward path', async () => {
    // WebGPU: src's raw passes and bench/layernorm's programs.
    const paths = label.startsWith('webgpu') ? ['raw', 'programs'] : ['raw'];
    for (const [i, [N, C]] of (
      [
        [1031, 48],
        [1031, 288],
      ] as Array<[number, number]>
    ).entries()) {
      const x = tf.tensor2d(floats(N * C, 60 + i, 2, 0.5), [N, C]);
      const w = tf.tensor1d(floats(C, 70 + i, 1, 1));
      const b = tf.tensor1d(floats(C, 80 + i, 0.5));
      const u1 = tf.tensor2d(floats(N * C, 90 + i, 1), [N, C]);
      const u2 = tf.tensor2d(floats(N * C, 95 + i, 3), [N, C]);
      const want = tf.grads(lossOf(reference, u1, u2))([x, w, b]);
      const wantData = await Promise.all(want.map((g) => g.data()));
      for (const path of paths) {
        const undo = path === 'programs' ? useLayerNormGradPrograms() : () => {};
        for (const withBias of [true, false]) {
          const got = tf.grads(lossOf(layerNormResidual, u1, u2))(withBias ? [x, w, b] : [x, w]);
          for (let j = 0; j < got.length; j++) expectClose(await got[j].data(), wantData[j], 2e-4);
          tf.dispose(got);
        }
        undo();
      }
      tf.dispose([x, w, b, u1, u2, ...want]);
    }
  });

  it.skipIf(skip)('returns x itself (same data) and the LayerNorm of x', async () => {
    for (const [i, [N, C]] of SHAPES.entries()) {
      const x = tf.tensor2d(floats(N * C, i, 2), [N, C]);
      const w = tf.tensor1d(floats(C, i + 1, 1));
      const b = tf.tensor1d(floats(C, i + 2, 0.5));
      const [xs, y] = layerNormResidual(x, w, b);
      expect(xs.dataId).toBe(x.dataId); // no copy, no dispatch
      expect(Array.from(await xs.data())).toEqual(Array.from(await x.data()));
      expectClose(await y.data(), await layerNormReference(x, w, b).data());
      xs.dispose();
      expect(Array.from(await x.data())).toEqual(Array.from(floats(N * C, i, 2))); // x outlives the extra handle
    }
  });

  it.skipIf(skip)('has the gradients of using x twice, with and without bias', async () => {
    for (const [i, [N, C]] of SHAPES.entries()) {
      const x = tf.tensor2d(floats(N * C, 10 + i, 2), [N, C]);
      const w = tf.tensor1d(floats(C, 20 + i, 1));
      const b = tf.tensor1d(floats(C, 30 + i, 0.5));
      const u1 = tf.tensor2d(floats(N * C, 40 + i, 3), [N, C]);
      const u2 = tf.tensor2d(floats(N * C, 50 + i, 3), [N, C]);
      for (const withBias of [true, false]) {
        const inputs = withBias ? [x, w, b] : [x, w];
        const got = tf.grads(lossOf(layerNormResidual, u1, u2))(inputs);
        const want = tf.grads(lossOf(reference, u1, u2))(inputs);
        for (let j = 0; j < inputs.length; j++) expectClose(await got[j].data(), await want[j].data(), 2e-4);
      }
    }
  });

  it.skipIf(skip)('sums the two gradients of x in the LayerNorm backward kernel, not by an Add', async () => {
    const [N, C] = SHAPES[1];
    const x = tf.tensor2d(floats(N * C, 3), [N, C]);
    const w = tf.tensor1d(floats(C, 4));
    const u = tf.tensor2d(floats(N * C, 5), [N, C]);
    // Both outputs feed one Multiply each, so every Add in the backward would be the stream's accumulation.
    const f = (xx: tf.Tensor) => {
      const [xs, y] = layerNormResidual(xx as tf.Tensor2D, w);
      return tf.sum(tf.mul(tf.mul(xs, y), u));
    };
    const names = (await tf.profile(() => tf.grad(f)(x))).kernels.map((k) => k.name);
    expect(names).toContain('NanometaLayerNormResidual');
    expect(names).toContain('NanometaLayerNormGrad');
    expect(names).not.toContain('Add');
  });

  it.skipIf(skip)('a tidy gradient call leaves tf.memory().numTensors unchanged', async () => {
    const [N, C] = SHAPES[0];
    const x = tf.tensor2d(floats(N * C, 6), [N, C]);
    const w = tf.tensor1d(floats(C, 7));
    const b = tf.tensor1d(floats(C, 8));
    const u = tf.tensor2d(floats(N * C, 9), [N, C]);
    const f = () => tf.tidy(() => tf.grads(lossOf(layerNormResidual, u, u))([x, w, b]));
    tf.dispose(f()); // warm-up
    const before = tf.memory().numTensors;
    const g = f();
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(before);
  });
});
