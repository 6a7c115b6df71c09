// Causal attention's JavaScript loops (the cpu and wasm kernels' work) at tinystories-tiny's shapes: v1 the loops of
// kernels/attention/cpu.ts; v2 the same math with each (b, h)'s q, k, v copied to contiguous float64 tiles first and
// the head-size loops unrolled by 4. Each variant is checked against v1, then timed by the process's CPU time (user +
// system, steadier than wall time on a shared machine), median of --reps.
//   npx tsx bench/attention-loops.ts [--batch 8] [--seq 64] [--dim 64] [--heads 4] [--reps 15]
import { Command } from 'commander';
import { causalAttentionGradLoop, causalAttentionLoop } from '../src/kernels/attention/cpu.js';
import type { AttentionDims } from '../src/kernels/attention/index.js';

const o = new Command('bench/attention-loops.ts')
  .option('--batch <n>', 'B', '8')
  .option('--seq <n>', 'T', '64')
  .option('--dim <n>', 'C', '64')
  .option('--heads <n>', 'H', '4')
  .option('--reps <n>', 'timed runs', '15')
  .parse()
  .opts();
const d: AttentionDims = {
  B: Number(o.batch),
  T: Number(o.seq),
  H: Number(o.heads),
  hs: Number(o.dim) / Number(o.heads),
};

/** q, k, v of head h in batch row b as contiguous (T, hs) float64 tiles. */
function tiles(
  qkv: Float32Array,
  { T, H, hs }: AttentionDims,
  b: number,
  h: number,
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
): void {
  const C = H * hs;
  for (let t = 0; t < T; t++) {
    const o = (b * T + t) * 3 * C + h * hs;
    for (let e = 0; e < hs; e++) {
      q[t * hs + e] = qkv[o + e];
      k[t * hs + e] = qkv[o + C + e];
      v[t * hs + e] = qkv[o + 2 * C + e];
    }
  }
}

/** Softmax weights p[0..i] of query row i against keys 0..i (scaled scores), from the tiles. */
function weights(q: Float64Array, k: Float64Array, i: number, hs: number, scale: number, p: Float64Array): void {
  const qo = i * hs;
  let m = -Infinity;
  for (let j = 0; j <= i; j++) {
    const ko = j * hs;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      e = 0;
    for (; e + 3 < hs; e += 4) {
      s0 += q[qo + e] * k[ko + e];
      s1 += q[qo + e + 1] * k[ko + e + 1];
      s2 += q[qo + e + 2] * k[ko + e + 2];
      s3 += q[qo + e + 3] * k[ko + e + 3];
    }
    for (; e < hs; e++) s0 += q[qo + e] * k[ko + e];
    const s = (s0 + s1 + s2 + s3) * scale;
    p[j] = s;
    if (s > m) m = s;
  }
  let sum = 0;
  for (let j = 0; j <= i; j++) sum += p[j] = Math.exp(p[j] - m);
  const inv = 1 / sum;
  for (let j = 0; j <= i; j++) p[j] *= inv;
}

function forwardV2(qkv: Float32Array, dims: AttentionDims): Float32Array {
  const { B, T, H, hs } = dims;
  const C = H * hs,
    scale = 1 / Math.sqrt(hs);
  const y = new Float32Array(B * T * C);
  const q = new Float64Array(T * hs),
    k = new Float64Array(T * hs),
    v = new Float64Array(T * hs),
    p = new Float64Array(T),
    acc = new Float64Array(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      tiles(qkv, dims, b, h, q, k, v);
      for (let i = 0; i < T; i++) {
        weights(q, k, i, hs, scale, p);
        acc.fill(0);
        for (let j = 0; j <= i; j++) {
          const pj = p[j],
            vo = j * hs;
          for (let e = 0; e < hs; e++) acc[e] += pj * v[vo + e];
        }
        const yo = (b * T + i) * C + h * hs;
        for (let e = 0; e < hs; e++) y[yo + e] = acc[e];
      }
    }
  }
  return y;
}

function backwardV2(qkv: Float32Array, dy: Float32Array, dims: AttentionDims): Float32Array {
  const { B, T, H, hs } = dims;
  const C = H * hs,
    scale = 1 / Math.sqrt(hs);
  const out = new Float32Array(B * T * 3 * C);
  const q = new Float64Array(T * hs),
    k = new Float64Array(T * hs),
    v = new Float64Array(T * hs),
    p = new Float64Array(T),
    dp = new Float64Array(T);
  const dq = new Float64Array(T * hs),
    dk = new Float64Array(T * hs),
    dv = new Float64Array(T * hs),
    g = new Float64Array(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      tiles(qkv, dims, b, h, q, k, v);
      dq.fill(0);
      dk.fill(0);
      dv.fill(0);
      for (let i = 0; i < T; i++) {
        weights(q, k, i, hs, scale, p);
        const go = (b * T + i) * C + h * hs;
        for (let e = 0; e < hs; e++) g[e] = dy[go + e];
        let D = 0;
        for (let j = 0; j <= i; j++) {
          const vo = j * hs;
          let s0 = 0,
            s1 = 0,
            s2 = 0,
            s3 = 0,
            e = 0;
          for (; e + 3 < hs; e += 4) {
            s0 += g[e] * v[vo + e];
            s1 += g[e + 1] * v[vo + e + 1];
            s2 += g[e + 2] * v[vo + e + 2];
            s3 += g[e + 3] * v[vo + e + 3];
          }
          for (; e < hs; e++) s0 += g[e] * v[vo + e];
          dp[j] = s0 + s1 + s2 + s3;
          D += p[j] * dp[j];
        }
        const qo = i * hs;
        for (let j = 0; j <= i; j++) {
          const ko = j * hs,
            pj = p[j],
            ds = pj * (dp[j] - D) * scale;
          for (let e = 0; e < hs; e++) {
            dq[qo + e] += ds * k[ko + e];
            dk[ko + e] += ds * q[qo + e];
            dv[ko + e] += pj * g[e];
          }
        }
      }
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * 3 * C + h * hs;
        for (let e = 0; e < hs; e++) {
          out[o + e] = dq[t * hs + e];
          out[o + C + e] = dk[t * hs + e];
          out[o + 2 * C + e] = dv[t * hs + e];
        }
      }
    }
  }
  return out;
}

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed));
const qkv = rand(d.B * d.T * 3 * d.H * d.hs, 1),
  dy = rand(d.B * d.T * d.H * d.hs, 2);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

function cpuMs(run: () => unknown): number {
  run();
  const times: number[] = [];
  for (let r = 0; r < Number(o.reps); r++) {
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    times.push((c.user + c.system) / 1e3);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const ref = { fwd: causalAttentionLoop(qkv, d), bwd: causalAttentionGradLoop(qkv, dy, d) };
const errF = maxDiff(forwardV2(qkv, d), ref.fwd),
  errB = maxDiff(backwardV2(qkv, dy, d), ref.bwd);
if (errF > 1e-5 || errB > 1e-5) throw new Error(`v2 disagrees with v1: forward ${errF}, backward ${errB}`);
for (let round = 0; round < 2; round++) {
  console.log(
    JSON.stringify({
      dims: d,
      round,
      v1: {
        fwdMs: +cpuMs(() => causalAttentionLoop(qkv, d)).toFixed(2),
        bwdMs: +cpuMs(() => causalAttentionGradLoop(qkv, dy, d)).toFixed(2),
      },
      v2: {
        fwdMs: +cpuMs(() => forwardV2(qkv, d)).toFixed(2),
        bwdMs: +cpuMs(() => backwardV2(qkv, dy, d)).toFixed(2),
        maxErr: Math.max(errF, errB),
      },
    }),
  );
}
