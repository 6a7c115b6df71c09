// nanometa's cpu kernels that replace tfjs's (BatchMatMul, broadcasting binary ops) against tfjs's own
// kernels as the reference, on every shape pattern the model uses and some it does not.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { originalCpuMatMul } from '../../src/kernels/matmul/cpu.js';
import { broadcastBinary, broadcastShape } from '../../src/kernels/broadcast/cpu.js';
import { useCpu } from '../helpers.js';

beforeAll(useCpu);

describe('cpu BatchMatMul override', () => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[5, 7], [9, 7], false, true],
    [[5, 7], [7, 9], false, false],
    [[7, 5], [7, 9], true, false],
    [[7, 5], [9, 7], true, true],
    [[2, 3, 5, 7], [2, 3, 9, 7], false, true],
    [[2, 3, 5, 7], [2, 3, 7, 9], false, false],
    [[2, 3, 7, 5], [2, 3, 7, 9], true, false],
    [[2, 5, 7], [7, 9], false, false],
    [[1, 5, 7], [3, 7, 9], false, false],
  ];
  it.each(cases)('%j x %j (transposeA %s, transposeB %s) equals tfjs', (sa, sb, ta, tb) => {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 1),
      b = tf.randomNormal(sb, 0, 1, 'float32', 2);
    const mine = tf.matMul(a, b, ta, tb);
    const info = originalCpuMatMul()!({
      inputs: { a, b },
      backend: tf.backend(),
      attrs: { transposeA: ta, transposeB: tb },
    }) as tf.TensorInfo;
    const ref = tf.engine().makeTensorFromTensorInfo(info);
    expect(mine.shape).toEqual(ref.shape);
    const m = mine.dataSync(),
      r = ref.dataSync();
    r.forEach((v, i) => expect(m[i]).toBeCloseTo(v, 5));
  });
});

describe('cpu broadcasting binary ops', () => {
  it('computes broadcast shapes like numpy', () => {
    expect(broadcastShape([4, 1, 3], [5, 1])).toEqual([4, 5, 3]);
    expect(broadcastShape([2, 3], [4])).toBeNull();
  });

  const shapes: Array<[number[], number[]]> = [
    [[4, 3], [3]],
    [
      [2, 4, 3],
      [2, 4, 1],
    ],
    [[3], [2, 3]],
    [
      [2, 1, 3],
      [1, 4, 1],
    ],
    [
      [2, 3, 4, 5],
      [4, 1],
    ],
  ];
  it.each(shapes)('%j with %j matches elementwise reference for add, sub, mul, div', (sa, sb) => {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 3),
      b = tf.add(tf.randomUniform(sb, 0.5, 2, 'float32', 4), 0);
    const av = a.dataSync() as Float32Array,
      bv = b.dataSync() as Float32Array;
    const out = broadcastShape(sa, sb)!;
    const ops: Array<[(x: tf.Tensor, y: tf.Tensor) => tf.Tensor, (x: number, y: number) => number]> = [
      [tf.add, (x, y) => x + y],
      [tf.sub, (x, y) => x - y],
      [tf.mul, (x, y) => x * y],
      [tf.div, (x, y) => x / y],
    ];
    for (const [tfOp, f] of ops) {
      const got = tfOp(a, b);
      expect(got.shape).toEqual(out);
      // independent reference: explicit index arithmetic
      const expected = broadcastBinary(f, av, sa, bv, sb, out);
      const g = got.dataSync();
      const naive = naiveBroadcast(f, av, sa, bv, sb, out);
      naive.forEach((v, i) => {
        expect(g[i]).toBeCloseTo(v, 5);
        expect(expected[i]).toBeCloseTo(v, 5);
      });
    }
  });
});

function naiveBroadcast(
  f: (x: number, y: number) => number,
  a: Float32Array,
  sa: number[],
  b: Float32Array,
  sb: number[],
  out: number[],
): number[] {
  const idx = (shape: number[], loc: number[]) =>
    shape.reduce((acc, d, i) => acc * d + (d === 1 ? 0 : loc[loc.length - shape.length + i]), 0);
  const size = out.reduce((p, q) => p * q, 1),
    res: number[] = [];
  for (let i = 0; i < size; i++) {
    const loc: number[] = [];
    let r = i;
    for (let d = out.length - 1; d >= 0; d--) {
      loc.unshift(r % out[d]);
      r = Math.floor(r / out[d]);
    }
    res.push(f(a[idx(sa, loc)], b[idx(sb, loc)]));
  }
  return res;
}

describe('cpu Softmax override', () => {
  it('matches exp(x - logsumexp(x)) on the last axis, values and gradients', () => {
    const x = tf.randomNormal([3, 4, 7], 0, 3, 'float32', 5);
    const got = tf.softmax(x).dataSync();
    const ref = tf.exp(tf.sub(x, tf.logSumExp(x, -1, true))).dataSync();
    ref.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    const w = tf.randomNormal([3, 4, 7], 0, 1, 'float32', 6);
    const g1 = tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), w)))(x)
      .dataSync();
    const g2 = tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.exp(tf.sub(t, tf.logSumExp(t, -1, true))), w)))(x)
      .dataSync();
    g2.forEach((v, i) => expect(g1[i]).toBeCloseTo(v, 5));
  });
});
