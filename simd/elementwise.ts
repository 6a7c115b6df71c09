// GELU (tanh form), its gradient, the row log-sum-exp and the cross-entropy gradient on four float32 lanes, for
// nanometa's wasm kernels: the math of src/kernels/{gelu,logsumexp,cross-entropy}/cpu.ts. Pointers are byte offsets
// into the tfjs heap; lengths are element counts, any size (a scalar tail after the blocks of four).
import { exp1, exp4, hmax, hsum, log64 } from './exp';

const K: f32 = 0.7978845608028654; // sqrt(2 / pi)
const A: f32 = 0.044715;

/** s = 1 / (1 + exp(-2 K (x + A x^3))) = (1 + tanh(K (x + A x^3))) / 2 per lane. */
// @ts-ignore: decorator
@inline
function geluGate(x: v128): v128 {
  const t = f32x4.mul(x, f32x4.add(f32x4.splat(-2 * K), f32x4.mul(f32x4.splat(-2 * K * A), f32x4.mul(x, x))));
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(t)));
}

/** y = x s: GELU of n elements. y may be x. */
export function gelu(x: usize, y: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(y + o, f32x4.mul(v, geluGate(v)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const v = f32x4.splat(load<f32>(x + o));
    store<f32>(y + o, f32x4.extract_lane(f32x4.mul(v, geluGate(v)), 0));
  }
}

/** dx = dy (s + 2 x s (1 - s) K (1 + 3 A x^2)) per lane. */
// @ts-ignore: decorator
@inline
function geluGrad4(v: v128, g: v128): v128 {
  const s = geluGate(v);
  const slope = f32x4.mul(f32x4.splat(2 * K), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(3 * A), f32x4.mul(v, v))));
  const d = f32x4.add(s, f32x4.mul(f32x4.mul(v, f32x4.mul(s, f32x4.sub(f32x4.splat(1), s))), slope));
  return f32x4.mul(g, d);
}

/** dx = dy gelu'(x) of n elements. dx may be dy or x. */
export function geluGrad(x: usize, dy: usize, dx: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, geluGrad4(v128.load(x + o), v128.load(dy + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, f32x4.extract_lane(geluGrad4(f32x4.splat(load<f32>(x + o)), f32x4.splat(load<f32>(dy + o))), 0));
  }
}

/** lse[i] = max_j x[i, j] + ln sum_j exp(x[i, j] - max) for x (n, V); a row whose max is not finite gets the max. */
export function rowLogSumExp(x: usize, lse: usize, n: i32, V: i32): void {
  const V4 = V & ~3;
  for (let i = 0; i < n; i++) {
    const r = x + (<usize>(i * V) << 2);
    let mv = f32x4.splat(-Infinity);
    for (let j = 0; j < V4; j += 4) mv = f32x4.max(mv, v128.load(r + (<usize>j << 2)));
    let m = hmax(mv);
    for (let j = V4; j < V; j++) m = max(m, load<f32>(r + (<usize>j << 2)));
    if (!isFinite(m)) {
      store<f32>(lse + (<usize>i << 2), m);
      continue;
    }
    const ms = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (let j = 0; j < V4; j += 4) sv = f32x4.add(sv, exp4(f32x4.sub(v128.load(r + (<usize>j << 2)), ms)));
    let sum = <f64>hsum(sv);
    for (let j = V4; j < V; j++) sum += <f64>exp1(load<f32>(r + (<usize>j << 2)) - m);
    store<f32>(lse + (<usize>i << 2), <f32>(<f64>m + log64(sum)));
  }
}

/** dx (n, V) = (exp(x - lse[i]) - onehot(y[i])) scale; labels outside [0, V) add no one-hot. dx may be x. */
export function crossEntropyGrad(x: usize, lse: usize, y: usize, dx: usize, n: i32, V: i32, scale: f32): void {
  const V4 = V & ~3;
  const sc = f32x4.splat(scale);
  for (let i = 0; i < n; i++) {
    const o = <usize>(i * V) << 2;
    const m = load<f32>(lse + (<usize>i << 2));
    const ms = f32x4.splat(m);
    for (let j = 0; j < V4; j += 4) {
      const jo = o + (<usize>j << 2);
      v128.store(dx + jo, f32x4.mul(exp4(f32x4.sub(v128.load(x + jo), ms)), sc));
    }
    for (let j = V4; j < V; j++) {
      const jo = o + (<usize>j << 2);
      store<f32>(dx + jo, exp1(load<f32>(x + jo) - m) * scale);
    }
    const t = load<i32>(y + (<usize>i << 2));
    if (t >= 0 && t < V) {
      const to = o + (<usize>t << 2);
      store<f32>(dx + to, (exp1(load<f32>(x + to) - m) - 1) * scale);
    }
  }
}
