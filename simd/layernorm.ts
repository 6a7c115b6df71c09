// LayerNorm forward and backward and the column sum (a bias gradient) on four float32 lanes, for nanometa's wasm
// kernels: the math of src/kernels/layernorm/cpu.ts and linear/cpu.ts's columnSumLoop. Row statistics in float32
// (rows of C <= a few thousand); sums over rows (dweight, dbias, column sums) in float64 lanes, as the cpu loops
// keep them, in a scratch of 2 C float64. C must be a multiple of 4. Pointers are byte offsets into the tfjs heap.
import { hsum } from './exp';

/** Adds the four lanes of v to the float64 pair at acc[0..1] and acc[2..3]. */
// @ts-ignore: decorator
@inline
function addTo64(acc: usize, v: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(v)));
  const high = i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  v128.store(acc + 16, f64x2.add(v128.load(acc + 16), f64x2.promote_low_f32x4(high)));
}

/** mean and 1 / sqrt(var + eps) of the row at r (C floats), two passes. */
// @ts-ignore: decorator
@inline
function rowStats(r: usize, C: i32, eps: f32): v128 {
  let s = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) s = f32x4.add(s, v128.load(r + (<usize>c << 2)));
  const mean = hsum(s) / <f32>C;
  const m = f32x4.splat(mean);
  let q = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) {
    const d = f32x4.sub(v128.load(r + (<usize>c << 2)), m);
    q = f32x4.add(q, f32x4.mul(d, d));
  }
  const rstd: f32 = 1 / sqrt<f32>(hsum(q) / <f32>C + eps);
  return f32x4.replace_lane(f32x4.splat(mean), 1, rstd); // lane 0 mean, lane 1 rstd
}

/** y (N, C) = (x - mean) rstd weight + bias (bias 0: no bias). */
export function layerNorm(x: usize, weight: usize, bias: usize, y: usize, N: i32, C: i32, eps: f32): void {
  for (let n = 0; n < N; n++) {
    const o = <usize>(n * C) << 2;
    const st = rowStats(x + o, C, eps);
    const m = f32x4.splat(f32x4.extract_lane(st, 0));
    const rs = f32x4.splat(f32x4.extract_lane(st, 1));
    for (let c = 0; c < C; c += 4) {
      const co = <usize>c << 2;
      let v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + o + co), m), rs), v128.load(weight + co));
      if (bias) v = f32x4.add(v, v128.load(bias + co));
      v128.store(y + o + co, v);
    }
  }
}

/**
 * dx = rstd (dy w - mean(dy w) - xhat mean(dy w xhat)) (+ dres when dres is not 0); dweight = sum over rows of
 * dy xhat, dbias = sum of dy (dbias 0: not wanted). scratch: 2 C float64.
 */
export function layerNormGrad(
  x: usize,
  weight: usize,
  dy: usize,
  dres: usize,
  dx: usize,
  dweight: usize,
  dbias: usize,
  N: i32,
  C: i32,
  eps: f32,
  scratch: usize,
): void {
  const dw64 = scratch;
  const db64 = scratch + (<usize>C << 3);
  memory.fill(scratch, 0, <usize>C << 4);
  const invC = f32x4.splat(1 / <f32>C);
  for (let n = 0; n < N; n++) {
    const o = <usize>(n * C) << 2;
    const st = rowStats(x + o, C, eps);
    const m = f32x4.splat(f32x4.extract_lane(st, 0));
    const rs = f32x4.splat(f32x4.extract_lane(st, 1));
    let a = f32x4.splat(0);
    let b = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const co = <usize>c << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + o + co), m), rs);
      const g = v128.load(dy + o + co);
      const gw = f32x4.mul(g, v128.load(weight + co));
      a = f32x4.add(a, gw);
      b = f32x4.add(b, f32x4.mul(gw, xhat));
      addTo64(dw64 + (<usize>c << 3), f32x4.mul(g, xhat));
      addTo64(db64 + (<usize>c << 3), g);
    }
    const am = f32x4.mul(f32x4.splat(hsum(a)), invC);
    const bm = f32x4.mul(f32x4.splat(hsum(b)), invC);
    for (let c = 0; c < C; c += 4) {
      const co = <usize>c << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + o + co), m), rs);
      const gw = f32x4.mul(v128.load(dy + o + co), v128.load(weight + co));
      let d = f32x4.mul(rs, f32x4.sub(f32x4.sub(gw, am), f32x4.mul(xhat, bm)));
      if (dres) d = f32x4.add(d, v128.load(dres + o + co));
      v128.store(dx + o + co, d);
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(dweight + (<usize>c << 2), <f32>load<f64>(dw64 + (<usize>c << 3)));
    if (dbias) store<f32>(dbias + (<usize>c << 2), <f32>load<f64>(db64 + (<usize>c << 3)));
  }
}

/** out (C) = sum over the R rows of x (R, C), in float64 lanes (scratch: C float64). */
export function columnSum(x: usize, out: usize, R: i32, C: i32, scratch: usize): void {
  memory.fill(scratch, 0, <usize>C << 3);
  for (let r = 0; r < R; r++) {
    const o = x + (<usize>(r * C) << 2);
    for (let c = 0; c < C; c += 4) addTo64(scratch + (<usize>c << 3), v128.load(o + (<usize>c << 2)));
  }
  for (let c = 0; c < C; c++) store<f32>(out + (<usize>c << 2), <f32>load<f64>(scratch + (<usize>c << 3)));
}
