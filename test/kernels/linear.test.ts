// Fused linear layers (NanometaLinear: bias and residual in the GEMM epilogue; geluLinear: GELU as the GEMM loads
// its input, NanometaGeluLinearGrad backward) and NanometaColumnSum (the bias gradient) vs the stock-op reference
// on every available backend (STYLE 18): values, gradients, split-K paths, kernels run, tensor hygiene.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { columnSumLoop } from '../../src/kernels/linear/cpu.js';
import { columnSum, geluLinear, linear } from '../../src/kernels/linear/index.js';
import { geluReference } from '../../src/kernels/gelu/reference.js';
import { columnSumReference, linearReference } from '../../src/kernels/linear/reference.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

interface Case {
  N: number;
  K: number;
  out: number;
  bias: boolean;
  residual: boolean;
}

// Odd sizes (partial tiles), each combination of bias and residual, and (128, 1024) x (128, 1024)^T, which
// WebGPU's planGemm splits over K (the addends then go through the split-K reduction).
const CASES: Case[] = [
  { N: 5, K: 7, out: 9, bias: false, residual: false },
  { N: 5, K: 7, out: 9, bias: true, residual: false },
  { N: 33, K: 20, out: 70, bias: false, residual: true },
  { N: 33, K: 20, out: 70, bias: true, residual: true },
  { N: 128, K: 1024, out: 128, bias: true, residual: true },
];
// For geluLinear also (128, 128) x (1024, 128)^T: its du = (dy W) ⊙ gelu'(u) product is split over K = 1024.
const GELU_CASES: Case[] = [...CASES, { N: 128, K: 128, out: 1024, bias: true, residual: false }];

const geluLinearReference: typeof linear = (u, w, b, r) => linearReference(geluReference(u) as tf.Tensor2D, w, b, r);
const VARIANTS = [
  { name: 'linear', op: linear, reference: linearReference, cases: CASES },
  { name: 'geluLinear', op: geluLinear, reference: geluLinearReference, cases: GELU_CASES },
];

function tensors(c: Case, seed: number) {
  return {
    x: tf.tensor2d(floats(c.N * c.K, seed), [c.N, c.K]),
    w: tf.tensor2d(floats(c.out * c.K, seed + 1, 0.5), [c.out, c.K]),
    b: c.bias ? tf.tensor1d(floats(c.out, seed + 2)) : undefined,
    r: c.residual ? tf.tensor2d(floats(c.N * c.out, seed + 3), [c.N, c.out]) : undefined,
    dy: tf.tensor2d(floats(c.N * c.out, seed + 4, 2), [c.N, c.out]), // upstream gradient: loss = sum(dy * y)
  };
}

describe.each(await testBackends())('linear on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip).each(VARIANTS)(
    '$name matches the stock-op reference with and without bias and residual',
    async ({ op, reference, cases }) => {
      for (const [i, c] of cases.entries()) {
        const { x, w, b, r } = tensors(c, 10 * i);
        const y = op(x, w, b, r);
        expect(y.shape).toEqual([c.N, c.out]);
        expectClose(await y.data(), await reference(x, w, b, r).data(), 1e-4);
      }
    },
  );

  it.skipIf(skip).each(VARIANTS)(
    '$name has the gradients of the reference for every input',
    async ({ op, reference, cases }) => {
      for (const [i, c] of cases.entries()) {
        const { x, w, b, r, dy } = tensors(c, 100 + 10 * i);
        const inputs = [x, w, ...(b ? [b] : []), ...(r ? [r] : [])];
        const unpack = (ts: tf.Tensor[]) =>
          [ts[0], ts[1], b ? ts[2] : undefined, r ? ts[b ? 3 : 2] : undefined] as const;
        const loss =
          (f: typeof linear) =>
          (...ts: tf.Tensor[]) => {
            const [xx, ww, bb, rr] = unpack(ts);
            return tf.sum(
              tf.mul(
                f(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D | undefined, rr as tf.Tensor2D | undefined),
                dy,
              ),
            );
          };
        const got = tf.grads(loss(op))(inputs);
        const want = tf.grads(loss(reference))(inputs);
        for (let j = 0; j < inputs.length; j++) {
          expect(got[j].shape).toEqual(inputs[j].shape);
          expectClose(await got[j].data(), await want[j].data(), 2e-4);
        }
      }
    },
  );

  it.skipIf(skip)('runs one fused kernel forward and products plus one column sum backward', async () => {
    const c = CASES[3];
    const { x, w, b, r, dy } = tensors(c, 7);
    const forward = (await tf.profile(() => linear(x, w, b, r))).kernels.map((k) => k.name).filter(Boolean);
    expect(forward).toEqual(['NanometaLinear']);
    const backward = await tf.profile(() =>
      tf.grads((...ts: tf.Tensor[]) =>
        tf.sum(
          tf.mul(linear(ts[0] as tf.Tensor2D, ts[1] as tf.Tensor2D, ts[2] as tf.Tensor1D, ts[3] as tf.Tensor2D), dy),
        ),
      )([x, w, b!, r!]),
    );
    const names = backward.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'NanometaColumnSum')).toHaveLength(1);
    expect(names.filter((n) => n === 'BatchMatMul')).toHaveLength(2);
    expect(names).not.toContain('Add');
    const geluBackward = await tf.profile(() =>
      tf.grads((...ts: tf.Tensor[]) =>
        tf.sum(
          tf.mul(
            geluLinear(ts[0] as tf.Tensor2D, ts[1] as tf.Tensor2D, ts[2] as tf.Tensor1D, ts[3] as tf.Tensor2D),
            dy,
          ),
        ),
      )([x, w, b!, r!]),
    );
    const geluNames = geluBackward.kernels.map((k) => k.name).filter(Boolean);
    expect(geluNames.filter((n) => n.startsWith('Nanometa'))).toEqual([
      'NanometaLinear',
      'NanometaGeluLinearGrad',
      'NanometaColumnSum',
    ]);
    expect(geluNames.some((n) => /Gelu$|GeluGrad$|BatchMatMul|Add/.test(n))).toBe(false);
  });

  it.skipIf(skip)('sums columns exactly as the reference, in one pass and in two (more than 4096 rows)', async () => {
    for (const [i, [R, C]] of [
      [1, 3],
      [37, 21],
      [300, 1],
      [4100, 5],
    ].entries()) {
      const data = floats(R * C, 50 + i, 3);
      const x = tf.tensor2d(data, [R, C]);
      const got = await columnSum(x).data();
      expectClose(got, await columnSumReference(x).data(), 1e-4);
      expectClose(got, columnSumLoop(data, R, C), 1e-4);
    }
  });

  it.skipIf(skip)('a tidy gradient call leaves tf.memory().numTensors unchanged', async () => {
    const { x, w, b, r, dy } = tensors(CASES[3], 9);
    const f = () =>
      tf.tidy(() =>
        tf.grads((...ts: tf.Tensor[]) =>
          tf.sum(
            tf.mul(linear(ts[0] as tf.Tensor2D, ts[1] as tf.Tensor2D, ts[2] as tf.Tensor1D, ts[3] as tf.Tensor2D), dy),
          ),
        )([x, w, b!, r!]),
      );
    tf.dispose(f()); // warm-up
    const before = tf.memory().numTensors;
    const g = f();
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(before);
  });
});
