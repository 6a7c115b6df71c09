// Causal self-attention forward and backward on four float32 lanes, for NanometaCausalAttention on wasm: the math
// of src/kernels/attention/cpu.ts (softmax(q k^T / sqrt(hs) + mask) v per (batch row, head), FlashAttention-2's
// backward with the row sums recomputed), float32 accumulation. Pointers are byte offsets into the tfjs heap; head
// size hs must be a multiple of 4. Scratch: k and v of one head transposed (hs x Tp each, Tp = T rounded up to 4)
// so that one query's scores against four keys are hs multiply-adds, plus two rows of Tp.
import { exp4, hmax, hsum } from './exp';

/** Bytes of scratch attentionForward and attentionBackward need. */
export function attentionScratchBytes(T: i32, hs: i32): i32 {
  const Tp = (T + 3) & ~3;
  return (2 * hs * Tp + 2 * Tp) << 2;
}

/** dst[e * Tp + j] = src row j's element e for j < T, zero for T <= j < Tp; rows are `row` bytes apart. */
function transposeHead(src: usize, row: usize, dst: usize, T: i32, Tp: i32, hs: i32): void {
  for (let e = 0; e < hs; e++) {
    const d = dst + (<usize>(e * Tp) << 2);
    for (let j = 0; j < T; j++) store<f32>(d + (<usize>j << 2), load<f32>(src + <usize>j * row + (<usize>e << 2)));
    for (let j = T; j < Tp; j++) store<f32>(d + (<usize>j << 2), 0);
  }
}

/**
 * p[0..i] = softmax of query q's scores against keys 0..i (kt: keys transposed), p[i+1 .. end of i's block of 4]
 * = 0. Returns the number of 4-key blocks written.
 */
function softmaxRow(q: usize, kt: usize, p: usize, i: i32, Tp: i32, hs: i32, scale: f32): i32 {
  const nb = (i >> 2) + 1;
  let mx = f32x4.splat(-Infinity);
  for (let jb = 0; jb < nb; jb++) {
    const k = kt + (<usize>jb << 4);
    let s = f32x4.splat(0);
    for (let e = 0; e < hs; e++) {
      s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(q + (<usize>e << 2))), v128.load(k + (<usize>(e * Tp) << 2))));
    }
    s = f32x4.mul(s, f32x4.splat(scale));
    v128.store(p + (<usize>jb << 4), s);
    if (jb < nb - 1) mx = f32x4.max(mx, s);
  }
  // the last block holds keys past i (masked): its max over lanes 0..i only
  let m = hmax(mx);
  const last = (nb - 1) << 2;
  for (let j = last; j <= i; j++) m = max(m, load<f32>(p + (<usize>j << 2)));
  let sum = f32x4.splat(0);
  for (let jb = 0; jb < nb; jb++) {
    const e = exp4(f32x4.sub(v128.load(p + (<usize>jb << 4)), f32x4.splat(m)));
    v128.store(p + (<usize>jb << 4), e);
  }
  for (let j = i + 1; j < nb << 2; j++) store<f32>(p + (<usize>j << 2), 0);
  for (let jb = 0; jb < nb; jb++) sum = f32x4.add(sum, v128.load(p + (<usize>jb << 4)));
  const inv = f32x4.splat(1 / hsum(sum));
  for (let jb = 0; jb < nb; jb++) v128.store(p + (<usize>jb << 4), f32x4.mul(v128.load(p + (<usize>jb << 4)), inv));
  return nb;
}

/** y (B, T, C) from qkv (B, T, 3C) = [q | k | v], H heads of size hs (C = H hs). */
export function attentionForward(qkv: usize, y: usize, B: i32, T: i32, H: i32, hs: i32, scratch: usize): void {
  const C = H * hs;
  const Tp = (T + 3) & ~3;
  const row = <usize>(3 * C) << 2;
  const kt = scratch;
  const p = kt + (<usize>(2 * hs * Tp) << 2);
  const scale = <f32>(1 / Math.sqrt(<f64>hs));
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const base = qkv + <usize>(b * T) * row + (<usize>(h * hs) << 2); // q of (b, 0, h)
      const kOff = <usize>C << 2;
      transposeHead(base + kOff, row, kt, T, Tp, hs);
      for (let i = 0; i < T; i++) {
        softmaxRow(base + <usize>i * row, kt, p, i, Tp, hs, scale);
        const out = y + (<usize>((b * T + i) * C + h * hs) << 2);
        for (let eb = 0; eb < hs; eb += 4) {
          let acc = f32x4.splat(0);
          let v = base + 2 * kOff + (<usize>eb << 2);
          for (let j = 0; j <= i; j++) {
            acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(p + (<usize>j << 2))), v128.load(v)));
            v += row;
          }
          v128.store(out + (<usize>eb << 2), acc);
        }
      }
    }
  }
}

/** dqkv (B, T, 3C) from qkv (B, T, 3C) and dy (B, T, C); dqkv is overwritten. */
export function attentionBackward(
  qkv: usize,
  dy: usize,
  dqkv: usize,
  B: i32,
  T: i32,
  H: i32,
  hs: i32,
  scratch: usize,
): void {
  const C = H * hs;
  const Tp = (T + 3) & ~3;
  const row = <usize>(3 * C) << 2;
  const kOff = <usize>C << 2;
  const kt = scratch;
  const vt = kt + (<usize>(hs * Tp) << 2);
  const p = vt + (<usize>(hs * Tp) << 2);
  const ds = p + (<usize>Tp << 2);
  const scale = <f32>(1 / Math.sqrt(<f64>hs));
  memory.fill(dqkv, 0, <usize>(B * T) * row);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const headOff = <usize>(b * T) * row + (<usize>(h * hs) << 2);
      const base = qkv + headOff;
      const dbase = dqkv + headOff;
      transposeHead(base + kOff, row, kt, T, Tp, hs);
      transposeHead(base + 2 * kOff, row, vt, T, Tp, hs);
      for (let i = 0; i < T; i++) {
        const q = base + <usize>i * row;
        const nb = softmaxRow(q, kt, p, i, Tp, hs, scale);
        const g = dy + (<usize>((b * T + i) * C + h * hs) << 2); // dy_i
        // dp_j = dy_i . v_j into ds, D = sum_j p_j dp_j
        let dv = f32x4.splat(0);
        for (let jb = 0; jb < nb; jb++) {
          const vcol = vt + (<usize>jb << 4);
          let s = f32x4.splat(0);
          for (let e = 0; e < hs; e++) {
            s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(g + (<usize>e << 2))), v128.load(vcol + (<usize>(e * Tp) << 2))));
          }
          v128.store(ds + (<usize>jb << 4), s);
          dv = f32x4.add(dv, f32x4.mul(s, v128.load(p + (<usize>jb << 4))));
        }
        const D = f32x4.splat(hsum(dv));
        // ds_j = p_j (dp_j - D) scale (zero past i, where p is zero)
        for (let jb = 0; jb < nb; jb++) {
          const o = <usize>jb << 4;
          v128.store(ds + o, f32x4.mul(f32x4.mul(v128.load(p + o), f32x4.sub(v128.load(ds + o), D)), f32x4.splat(scale)));
        }
        // dq_i = sum_j ds_j k_j; dk_j += ds_j q_i; dv_j += p_j dy_i
        for (let eb = 0; eb < hs; eb += 4) {
          const eo = <usize>eb << 2;
          const qv = v128.load(q + eo);
          const gv = v128.load(g + eo);
          let acc = f32x4.splat(0);
          let kj = base + kOff + eo;
          let dkj = dbase + kOff + eo;
          for (let j = 0; j <= i; j++) {
            const dsj = f32x4.splat(load<f32>(ds + (<usize>j << 2)));
            const pj = f32x4.splat(load<f32>(p + (<usize>j << 2)));
            acc = f32x4.add(acc, f32x4.mul(dsj, v128.load(kj)));
            v128.store(dkj, f32x4.add(v128.load(dkj), f32x4.mul(dsj, qv)));
            v128.store(dkj + kOff, f32x4.add(v128.load(dkj + kOff), f32x4.mul(pj, gv)));
            kj += row;
            dkj += row;
          }
          v128.store(dbase + <usize>i * row + eo, acc);
        }
      }
    }
  }
}
