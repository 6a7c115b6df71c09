// Numeric helpers shared by the kernel tests: deterministic LCG floats and the element-wise closeness check
// |a - b| <= tol (1 + |b|) (not the backend set-up of ../helpers.ts; backends come from ../backend/available.ts).
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
