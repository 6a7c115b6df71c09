// Matrix products on the wasm backend at one model's training shapes (the products of a step: the four linear
// layers and the LM head, forward x·Wᵀ, backward dy·W and dyᵀ·x), GFLOP/s per shape and variant:
//   v1 tfjs-wasm: the backend's own BatchMatMul with the transpose flags (a scalar loop unless both are false)
//   v2 nanometa: BatchMatMul as registered by kernels/matmul/wasm.ts (flagged operand transposed first, then XNNPACK)
//   v3 swapped (dyᵀ·x products only): (xᵀ·dy)ᵀ, transposing the two smaller matrices (x and the result) instead of dy
//   cpu (--cpu): nanometa's cpu BatchMatMul (kernels/matmul/cpu.ts), for the ratio
// Each variant is checked against a float64 JS product first (max abs error printed), then timed (median of --reps).
//   npx tsx bench/wasm-matmul.ts [--rows 512] [--dim 64] [--vocab 832] [--reps 15] [--cpu]
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { setUpBackend } from '../src/kernels/register.js';
import { originalKernel } from '../src/kernels/override.js';

const o = new Command('bench/wasm-matmul.ts')
  .option('--rows <n>', 'tokens per step (batch × T)', '512')
  .option('--dim <n>', 'model width d', '64')
  .option('--vocab <n>', 'vocabulary (LM head rows)', '832')
  .option('--reps <n>', 'timed products (median)', '15')
  .option('--cpu', 'also time the cpu backend')
  .parse()
  .opts();
const N = Number(o.rows),
  C = Number(o.dim),
  V = Number(o.vocab),
  reps = Number(o.reps);

// [label, a shape, b shape, transA, transB]
type Shape = [string, number[], number[], boolean, boolean];
const shapes: Shape[] = [];
for (const [name, out, inp] of [
  ['qkv', 3 * C, C],
  ['proj', C, C],
  ['fc', 4 * C, C],
  ['fc2', C, 4 * C],
  ['head', V, C],
] as const) {
  shapes.push(
    [`${name} x·Wᵀ`, [N, inp], [out, inp], false, true],
    [`${name} dx = dy·W`, [N, out], [out, inp], false, false],
    [`${name} dW = dyᵀ·x`, [N, out], [N, inp], true, false],
  );
}

const rand = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

/** float64 op(a) op(b) for 2-D row-major a (r1, c1), b (r2, c2). */
function reference(
  a: Float32Array,
  as: number[],
  b: Float32Array,
  bs: number[],
  ta: boolean,
  tb: boolean,
): Float64Array {
  const [M, K] = ta ? [as[1], as[0]] : as;
  const Nn = tb ? bs[0] : bs[1];
  const A = (i: number, k: number) => (ta ? a[k * as[1] + i] : a[i * as[1] + k]);
  const B = (k: number, j: number) => (tb ? b[j * bs[1] + k] : b[k * bs[1] + j]);
  const c = new Float64Array(M * Nn);
  for (let i = 0; i < M; i++)
    for (let k = 0; k < K; k++) {
      const x = A(i, k);
      for (let j = 0; j < Nn; j++) c[i * Nn + j] += x * B(k, j);
    }
  return c;
}

function timeIt(run: () => tf.TensorInfo | tf.Tensor): { ms: number; out: Float32Array } {
  const read = (r: tf.TensorInfo | tf.Tensor) => {
    const values = tf.backend().readSync(r.dataId) as Float32Array;
    if (r instanceof tf.Tensor) r.dispose();
    else tf.backend().disposeData(r.dataId);
    return values;
  };
  const out = read(run());
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    read(run());
    times.push(performance.now() - t0);
  }
  return { ms: times.sort((x, y) => x - y)[Math.floor(reps / 2)], out };
}

const backends = o.cpu ? ['wasm', 'cpu'] : ['wasm'];
const results: Array<Record<string, unknown>> = [];
for (const [label, as, bs, ta, tb] of shapes) {
  const av = rand(as[0] * as[1], 1),
    bv = rand(bs[0] * bs[1], 2);
  const ref = reference(av, as, bv, bs, ta, tb);
  const [M, K] = ta ? [as[1], as[0]] : as;
  const gflop = (2 * M * K * (tb ? bs[0] : bs[1])) / 1e9;
  const row: Record<string, unknown> = { shape: label, M, K, N: tb ? bs[0] : bs[1] };
  for (const backend of backends) {
    await setUpBackend(backend as 'wasm' | 'cpu');
    const a = tf.tensor2d(av, as as [number, number]),
      b = tf.tensor2d(bv, bs as [number, number]);
    const variants: Array<[string, () => tf.TensorInfo | tf.Tensor]> =
      backend === 'cpu'
        ? [['cpu', () => tf.matMul(a, b, ta, tb)]]
        : [
            [
              'v1_tfjs',
              () =>
                originalKernel('BatchMatMul', 'wasm')!({
                  inputs: { a, b },
                  attrs: { transposeA: ta, transposeB: tb },
                  backend: tf.backend(),
                }) as tf.TensorInfo,
            ],
            ['v2_nanometa', () => tf.matMul(a, b, ta, tb)],
            ...(ta && !tb
              ? [
                  ['v3_swapped', () => tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(b), a)))] as [
                    string,
                    () => tf.Tensor,
                  ],
                ]
              : []),
          ];
    for (const [name, run] of variants) {
      const { ms, out } = timeIt(run);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(out[i] - ref[i]));
      if (err > 1e-3 * K) throw new Error(`${label} ${name}: max error ${err} against the float64 product`);
      row[`ms_${name}`] = +ms.toFixed(3);
      row[`gflops_${name}`] = +(gflop / (ms / 1e3)).toFixed(1);
    }
    tf.dispose([a, b]);
  }
  results.push(row);
  console.log(JSON.stringify(row));
}
const total = (key: string) => results.reduce((s, r) => s + Number(r[key] ?? 0), 0);
const flops =
  shapes.reduce(
    (s, [, as, bs, ta, tb]) => s + 2 * (ta ? as[1] : as[0]) * (ta ? as[0] : as[1]) * (tb ? bs[0] : bs[1]),
    0,
  ) / 1e9;
console.log(
  JSON.stringify({
    summary: 'one of each product of a layer + the head',
    gflop: +flops.toFixed(4),
    ...Object.fromEntries(
      ['v1_tfjs', 'v2_nanometa', ...(o.cpu ? ['cpu'] : [])].map((v) => [
        `gflops_${v}`,
        +(flops / (total(`ms_${v}`) / 1e3)).toFixed(1),
      ]),
    ),
  }),
);
