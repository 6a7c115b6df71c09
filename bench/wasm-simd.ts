// nanometa's WebAssembly SIMD kernels (simd/, src/backend/simd.ts) against the JavaScript loops the wasm kernels ran
// before (v1: kernels/<op>/cpu.ts's loops over heap views, copied out with fromValues), on tfjs-backend-wasm's heap:
// causal attention forward and backward, GELU and its gradient, row log-sum-exp, cross-entropy gradient, LayerNorm
// forward and backward (v1 with its dres sum and copies out, as the kernel ran them), the column sum. Each v2
// result is checked against v1 (max |difference| relative to max |v1|), then both are timed by the process's CPU time
// (user + system, steadier than wall time on a shared machine), median of --reps, alternating v1 and v2.
//   npx tsx bench/wasm-simd.ts [--shape tiny|d128] [--reps 21]
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { simdKernels } from '../src/backend/simd.js';
import { allocate, f32, i32, pointer, type WasmHeapBackend } from '../src/backend/wasm-heap.js';
import { initWasm } from '../src/backend/wasm.js';
import { causalAttentionGradLoop, causalAttentionLoop } from '../src/kernels/attention/cpu.js';
import { crossEntropyGradLoop } from '../src/kernels/cross-entropy/cpu.js';
import { geluGradLoop, geluLoop } from '../src/kernels/gelu/cpu.js';
import { rowLogSumExpLoop } from '../src/kernels/logsumexp/cpu.js';
import { layerNormGradLoop, layerNormLoop } from '../src/kernels/layernorm/cpu.js';
import { columnSumLoop } from '../src/kernels/linear/cpu.js';

const o = new Command('bench/wasm-simd.ts')
  .option('--shape <name>', 'tiny (B 8, T 64, C 64, 4 heads, V 832) or d128 (B 16, T 128, C 128, 4 heads)', 'tiny')
  .option('--reps <n>', 'timed runs of each variant', '21')
  .parse()
  .opts();
const SHAPES = { tiny: { B: 8, T: 64, C: 64, H: 4, V: 832 }, d128: { B: 16, T: 128, C: 128, H: 4, V: 832 } };
const s = SHAPES[o.shape as keyof typeof SHAPES];
if (!s) throw new Error(`--shape must be tiny or d128, got ${o.shape}`);
const { B, T, C, H, V } = s;
const N = B * T;
const d = { B, T, H, hs: C / H };

await initWasm();
const be = tf.backend() as WasmHeapBackend;
const simd = simdKernels(be);
if (!simd) throw new Error('this engine has no WebAssembly SIMD');

const rand = (n: number, seed: number, amp = 1) =>
  tf.tensor(
    Float32Array.from({ length: n }, (_, i) => amp * Math.sin(i * 12.9898 + seed)),
    [n],
  );
const qkv = rand(N * 3 * C, 1);
const dy = rand(N * C, 2);
const u = rand(N * 4 * C, 3, 3); // the MLP's pre-activation, (N, 4C)
const du = rand(N * 4 * C, 4);
const logits = rand(N * V, 5, 8);
const labels = tf.tensor(
  Int32Array.from({ length: N }, (_, i) => (i * 7919) % V),
  [N],
  'int32',
);
const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as tf.TensorInfo;
const ptr = (t: tf.Tensor | tf.TensorInfo) => pointer(be, 'dataId' in t ? info(t as tf.Tensor) : t);
const lnW = rand(C, 6, 0.5);
const lnB = rand(C, 7);
const x = rand(N * C, 8, 2); // the residual stream, (N, C)
const lse = tf.tensor(rowLogSumExpLoop(f32(be, info(logits)), N, V), [N]);

/** Runs `fill` into a fresh heap output of `n` floats and returns a copy of it; the outputs are freed. */
function simdRun(n: number, fill: (out: number, scratch: number) => void, scratchBytes = 4): Float32Array {
  const [out, scratch] = allocate(be, [[n], [Math.ceil(scratchBytes / 4)]]);
  fill(pointer(be, out), pointer(be, scratch));
  const copy = f32(be, out).slice();
  be.disposeData(out.dataId);
  be.disposeData(scratch.dataId);
  return copy;
}

const x32 = (t: tf.Tensor) => f32(be, info(t));
const scratch = simd.attentionScratchBytes(T, d.hs);
const OPS: { name: string; v1: () => Float32Array; v2: () => Float32Array }[] = [
  {
    name: 'attention forward',
    v1: () => causalAttentionLoop(x32(qkv), d),
    v2: () => simdRun(N * C, (y, sc) => simd.attentionForward(ptr(qkv), y, B, T, H, d.hs, sc), scratch),
  },
  {
    name: 'attention backward',
    v1: () => causalAttentionGradLoop(x32(qkv), x32(dy), d),
    v2: () => simdRun(N * 3 * C, (dq, sc) => simd.attentionBackward(ptr(qkv), ptr(dy), dq, B, T, H, d.hs, sc), scratch),
  },
  { name: 'gelu', v1: () => geluLoop(x32(u)), v2: () => simdRun(N * 4 * C, (y) => simd.gelu(ptr(u), y, N * 4 * C)) },
  {
    name: 'gelu grad',
    v1: () => geluGradLoop(x32(u), x32(du)),
    v2: () => simdRun(N * 4 * C, (dx) => simd.geluGrad(ptr(u), ptr(du), dx, N * 4 * C)),
  },
  {
    name: 'row logsumexp',
    v1: () => rowLogSumExpLoop(x32(logits), N, V),
    v2: () => simdRun(N, (out) => simd.rowLogSumExp(ptr(logits), out, N, V)),
  },
  {
    name: 'cross-entropy grad',
    v1: () => crossEntropyGradLoop(x32(logits), x32(lse), i32(be, info(labels)), N, V, 1 / N),
    v2: () => simdRun(N * V, (dx) => simd.crossEntropyGrad(ptr(logits), ptr(lse), ptr(labels), dx, N, V, 1 / N)),
  },
  {
    name: 'layernorm',
    v1: () => layerNormLoop(x32(x), x32(lnW), x32(lnB), N, C, 1e-5),
    v2: () => simdRun(N * C, (y) => simd.layerNorm(ptr(x), ptr(lnW), ptr(lnB), y, N, C, 1e-5)),
  },
  {
    name: 'layernorm grad',
    v1: () => {
      const { dx, dweight, dbias } = layerNormGradLoop(x32(x), x32(lnW), x32(dy), N, C, 1e-5);
      const r = x32(x); // dres: the residual stream's gradient, here x again
      for (let i = 0; i < dx.length; i++) dx[i] += r[i];
      const out = new Float32Array(N * C + 2 * C); // the three outputs, as fromValues copied them to the heap
      out.set(dx);
      out.set(dweight, N * C);
      out.set(dbias, N * C + C);
      return out;
    },
    v2: () =>
      simdRun(
        N * C + 2 * C,
        (out, sc) =>
          simd.layerNormGrad(
            ptr(x),
            ptr(lnW),
            ptr(dy),
            ptr(x),
            out,
            out + 4 * N * C,
            out + 4 * (N + 1) * C,
            N,
            C,
            1e-5,
            sc,
          ),
        16 * C,
      ),
  },
  {
    name: 'column sum',
    v1: () => columnSumLoop(x32(u), N, 4 * C),
    v2: () => simdRun(4 * C, (out, sc) => simd.columnSum(ptr(u), out, N, 4 * C, sc), 32 * C),
  },
];

function relErr(a: Float32Array, ref: Float32Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}

function cpuMs(run: () => unknown): number {
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e3;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`shape ${o.shape}: B ${B}, T ${T}, C ${C}, H ${H}, V ${V}; CPU ms, median of ${o.reps}`);
let v1Total = 0,
  v2Total = 0;
for (const op of OPS) {
  const err = relErr(op.v2(), op.v1());
  if (!(err <= 1e-5)) throw new Error(`${op.name}: v2 disagrees with v1 (relative ${err})`);
  op.v1();
  const t1: number[] = [],
    t2: number[] = [];
  for (let r = 0; r < Number(o.reps); r++) {
    t1.push(cpuMs(op.v1));
    t2.push(cpuMs(op.v2));
  }
  const [m1, m2] = [median(t1), median(t2)];
  v1Total += m1;
  v2Total += m2;
  console.log(
    `${op.name.padEnd(20)} v1 ${m1.toFixed(2).padStart(7)}  v2 ${m2.toFixed(2).padStart(7)}  ${(m1 / m2).toFixed(1)}x  (rel. err ${err.toExponential(1)})`,
  );
}
console.log(
  `${'all'.padEnd(20)} v1 ${v1Total.toFixed(2).padStart(7)}  v2 ${v2Total.toFixed(2).padStart(7)}  ${(v1Total / v2Total).toFixed(1)}x`,
);
