// The wasm backend's BatchMatMul and _FusedMatMul as kernels/matmul/wasm.ts replaces them (untransposed products on
// XNNPACK, aᵀ·b swapped where that copies less, a bias vector or matrix) against the same products on cpu.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setUpBackend } from '../../src/kernels/register.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

const wasm = (await testBackends()).find((b) => b.label.startsWith('wasm'))!;

interface Case {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
  bias?: number[];
}

/** op(a)·op(b) (+ bias) on `backend`, from the same deterministic inputs. */
async function product(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array> {
  await setUpBackend(backend);
  return tf.tidy(() => {
    const a = tf.tensor(
      floats(
        c.a.reduce((x, y) => x * y),
        1,
      ),
      c.a,
    );
    const b = tf.tensor(
      floats(
        c.b.reduce((x, y) => x * y),
        2,
      ),
      c.b,
    );
    const bias = c.bias
      ? tf.tensor(
          floats(
            c.bias.reduce((x, y) => x * y),
            3,
          ),
          c.bias,
        )
      : undefined;
    const out = bias
      ? tf.fused.matMul({ a, b, transposeA: c.ta, transposeB: c.tb, bias })
      : tf.matMul(a, b, c.ta, c.tb);
    return out.dataSync() as Float32Array;
  });
}

describe.skipIf(!!wasm.skip)(`matrix products on ${wasm.label}`, () => {
  const cases: Array<[string, Case]> = [
    ['x·W (untransposed)', { a: [40, 24], b: [24, 30], ta: false, tb: false }],
    ['x·Wᵀ', { a: [40, 24], b: [30, 24], ta: false, tb: true }],
    ['dyᵀ·x, swapped (K·N + M·N < K·M)', { a: [64, 120], b: [64, 16], ta: true, tb: false }],
    ['dyᵀ·x, not swapped', { a: [64, 16], b: [64, 120], ta: true, tb: false }],
    ['aᵀ·bᵀ', { a: [24, 40], b: [30, 24], ta: true, tb: true }],
    ['batched q·kᵀ', { a: [3, 10, 8], b: [3, 12, 8], ta: false, tb: true }],
    [
      "dyᵀ·x + matrix bias, swapped (the LM head's dW)",
      { a: [64, 120], b: [64, 16], ta: true, tb: false, bias: [120, 16] },
    ],
    ['dyᵀ·x + vector bias, swapped', { a: [64, 120], b: [64, 16], ta: true, tb: false, bias: [16] }],
    ['x·Wᵀ + vector bias', { a: [40, 24], b: [30, 24], ta: false, tb: true, bias: [30] }],
    ['x·Wᵀ + matrix bias', { a: [40, 24], b: [30, 24], ta: false, tb: true, bias: [40, 30] }],
  ];
  it.each(cases)('%s equals cpu', async (_, c) => {
    const expected = await product('cpu', c);
    const got = await product('wasm', c);
    expectClose(got, expected, 1e-5);
    const dataIds = () => tf.backend().numDataIds(); // the backend's own count: temporaries it allocated included
    await setUpBackend('wasm');
    const before = dataIds();
    await product('wasm', c);
    expect(dataIds()).toBe(before); // the transposed copies are freed
  });
});
