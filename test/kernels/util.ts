// Numeric helpers shared by the kernel tests: deterministic LCG floats and the element-wise closeness check
// |a - b| <= tol (1 + |b|) (not the backend set-up of ../helpers.ts; backends come from ../backend/available.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Deterministic pseudo-random floats in [offset - scale, offset + scale) from a 32-bit LCG seeded with `seed`. */
export function floats(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return offset + (s / 2 ** 31 - 1) * scale;
  });
}

/** Asserts |a - b| <= tol (1 + |b|) element-wise, i.e. ~tol relative for large values, absolute near 0. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])))) expect([i, a[i]]).toEqual([i, b[i]]);
  }
}

/** C = op(A)·op(B) in float64 on the host. */
export function hostMatMul(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  tA: boolean,
  tB: boolean,
): Float64Array {
  const [ba, ra, ca] = aShape.length === 3 ? aShape : [1, ...aShape];
  const [bb, rb, cb] = bShape.length === 3 ? bShape : [1, ...bShape];
  const M = tA ? ca : ra,
    K = tA ? ra : ca,
    N = tB ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = ba === 1 ? 0 : z * ra * ca,
      bo = bb === 1 ? 0 : z * rb * cb;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += a[ao + (tA ? k * ca + i : i * ca + k)] * b[bo + (tB ? j * cb + k : k * cb + j)];
        out[z * M * N + i * N + j] = s;
      }
  }
  return out;
}

const SQRT_2_PI = Math.sqrt(2 / Math.PI);
/** GELU (tanh form) and its derivative in float64, for host references. */
export const geluHost = (v: number): number => 0.5 * v * (1 + Math.tanh(SQRT_2_PI * (v + 0.044715 * v ** 3)));
export function geluPrimeHost(v: number): number {
  const t = Math.tanh(SQRT_2_PI * (v + 0.044715 * v ** 3));
  return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_PI * (1 + 3 * 0.044715 * v * v);
}

/**
 * One GEMM epilogue test case on the active backend: op(A) (M, K) and op(B) (K, N) as stored (transposed when tA,
 * tB), the addend tensors runGemm takes for `addend` (full: C0 (M, N); row: c1 (N); both: C0 and c1; geluGrad: C0,
 * the pre-activation), GELU on load of A or B, and the float64 expected output. The caller disposes the tensors.
 */
export function gemmEpilogueCase(
  [M, N, K]: [number, number, number],
  addend: 'none' | 'full' | 'row' | 'both' | 'geluGrad',
  geluOn: 'A' | 'B' | 'none',
  tA: boolean,
  tB: boolean,
): { a: tf.Tensor; b: tf.Tensor; addends: tf.Tensor[]; want: Float64Array } {
  const av = floats(M * K, 21 + K),
    bv = floats(K * N, 22 + N),
    c0 = floats(M * N, 23),
    c1 = floats(N, 24);
  const aShape = tA ? [K, M] : [M, K],
    bShape = tB ? [N, K] : [K, N];
  const host = hostMatMul(
    geluOn === 'A' ? av.map(geluHost) : av,
    aShape,
    geluOn === 'B' ? bv.map(geluHost) : bv,
    bShape,
    tA,
    tB,
  );
  const epilogue = {
    none: (v: number) => v,
    full: (v: number, i: number) => v + c0[i],
    row: (v: number, i: number) => v + c1[i % N],
    both: (v: number, i: number) => v + c0[i] + c1[i % N],
    geluGrad: (v: number, i: number) => v * geluPrimeHost(c0[i]),
  }[addend];
  const addends = {
    none: () => [],
    full: () => [tf.tensor(c0, [M, N])],
    row: () => [tf.tensor(c1, [N])],
    both: () => [tf.tensor(c0, [M, N]), tf.tensor(c1, [N])],
    geluGrad: () => [tf.tensor(c0, [M, N])],
  }[addend]();
  return { a: tf.tensor(av, aShape), b: tf.tensor(bv, bShape), addends, want: host.map(epilogue) };
}

/** The largest |got - want| / (1 + |want|). */
export function worstRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return worst;
}
