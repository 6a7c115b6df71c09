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
