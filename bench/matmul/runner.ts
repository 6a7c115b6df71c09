// bench/matmul's runner: for each product shape and each variant × plan (variants.ts), the product is first
// validated against a float64 reference computed on the host for a sample of its outputs, then timed (`reps`
// products, outputs recycled, one read-back at the end), giving ms and TFLOP/s per shape; per shape the fastest
// valid one is reported as `best` (what a per-device autotuner would pick). Needs an initialised webgpu backend.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { gemmShape } from '../../src/kernels/matmul/webgpu.js';
import { cannotRun, resolvePlan, runVariant, type MatmulVariant, type PlanArg } from './variants.js';

export interface MatmulShape {
  label: string;
  a: number[];
  b: number[];
  transA: boolean;
  transB: boolean;
}

/** The products of one tinystories-15m training step (d 288, 6 heads, T 256, vocabulary 50304); `tokens` = batch × 256. */
export function modelShapes(tokens: number, chunk: number): MatmulShape[] {
  const heads = (tokens / 256) * 6;
  const s = (label: string, a: number[], b: number[], transA: boolean, transB: boolean) => ({
    label,
    a,
    b,
    transA,
    transB,
  });
  return [
    s('qkv x·Wᵀ', [tokens, 288], [864, 288], false, true),
    s('fc x·Wᵀ', [tokens, 288], [1152, 288], false, true),
    s('proj x·Wᵀ', [tokens, 1152], [288, 1152], false, true),
    s('fc dx = dy·W', [tokens, 1152], [1152, 288], false, false),
    s('fc dW = dyᵀ·x', [tokens, 1152], [tokens, 288], true, false),
    s('head logits h·Wᵀ', [chunk, 288], [50304, 288], false, true),
    s('head dh = p·W', [chunk, 50304], [50304, 288], false, false),
    s('head dW = pᵀ·h', [chunk, 50304], [chunk, 288], true, false),
    s('attn q·kᵀ', [heads, 256, 48], [heads, 256, 48], false, true),
    s('attn p·v', [heads, 256, 256], [heads, 256, 48], false, false),
  ];
}

export interface MatmulRow {
  shape: string;
  batch: number;
  M: number;
  N: number;
  K: number;
  variant: string;
  /** The plan it ran with ('128x128', '128x128/6' with a split); '-' for tfjs's kernel. */
  plan: string;
  /** Largest |got − want| over the sampled outputs, relative to sqrt(Σₖ (aᵢₖ bₖⱼ)²) of that output. */
  err?: number;
  valid?: boolean;
  ms?: number;
  tflops?: number;
  /** Why it did not run. */
  skipped?: string;
}

/** Relative error (MatmulRow.err) above which a product is wrong: a lost k-term of K ≤ 25M shows; float32 rounding (~1e-5 at K = 50304) does not. */
export const MAX_ERR = 2e-4;
const SAMPLES = 512;

/** Float64 products at SAMPLES spread outputs (index into (batch, M, N)) and their scales sqrt(Σₖ (aᵢₖ bₖⱼ)²). */
function reference(
  a: Float32Array,
  b: Float32Array,
  s: { batch: number; M: number; N: number; K: number; strideA: number; strideB: number },
  transA: boolean,
  transB: boolean,
): Array<{ index: number; want: number; scale: number }> {
  const total = s.batch * s.M * s.N;
  const step = Math.max(1, Math.floor(total / SAMPLES));
  const out: Array<{ index: number; want: number; scale: number }> = [];
  for (let index = (step >> 1) % total; index < total && out.length < SAMPLES; index += step) {
    const z = Math.floor(index / (s.M * s.N)),
      i = Math.floor(index / s.N) % s.M,
      j = index % s.N;
    const ao = z * s.strideA,
      bo = z * s.strideB;
    let want = 0,
      sq = 0;
    for (let k = 0; k < s.K; k++) {
      const p = a[ao + (transA ? k * s.M + i : i * s.K + k)] * b[bo + (transB ? j * s.K + k : k * s.N + j)];
      want += p;
      sq += p * p;
    }
    out.push({ index, want, scale: Math.sqrt(sq) || 1 });
  }
  return out;
}

export interface MatmulBenchOptions {
  shapes: MatmulShape[];
  variants: readonly MatmulVariant[];
  plans: PlanArg[];
  /** Products per timing; 0: validate only. */
  reps: number;
  /** Each row as it is made. */
  log?: (row: MatmulRow) => void;
}

/** Validates, then times, every variant × plan on every shape; returns the rows (the `best` rows included). */
export async function runMatmulBench(opts: MatmulBenchOptions): Promise<MatmulRow[]> {
  const backend = tf.backend() as WebGPUBackend;
  if (tf.getBackend() !== 'webgpu') throw new Error('bench/matmul runs on the webgpu backend');
  const rows: MatmulRow[] = [];
  const emit = (row: MatmulRow) => {
    rows.push(row);
    opts.log?.(row);
  };
  for (const sh of opts.shapes) {
    const a = tf.randomNormal(sh.a, 0, 1, 'float32', 1);
    const b = tf.randomNormal(sh.b, 0, 1, 'float32', 2);
    try {
      const g = gemmShape(a, b, sh.transA, sh.transB);
      if (!g) throw new Error(`${sh.label}: [${sh.a}] · [${sh.b}] is not a product the GEMM runs`);
      const shape = g.shape;
      const samples = reference(
        (await a.data()) as Float32Array,
        (await b.data()) as Float32Array,
        shape,
        sh.transA,
        sh.transB,
      );
      const flops = 2 * shape.batch * shape.M * shape.N * shape.K;
      const head = { shape: sh.label, batch: shape.batch, M: shape.M, N: shape.N, K: shape.K };
      const timedRows: MatmulRow[] = [];
      for (const variant of opts.variants) {
        const seen = new Set<string>();
        for (const arg of variant.name === 'tfjs' ? ['-'] : opts.plans) {
          const plan = arg === '-' ? null : resolvePlan(arg, shape);
          const planName = plan ? `${plan.tile}${plan.splitK > 1 ? `/${plan.splitK}` : ''}` : '-';
          if (seen.has(planName)) continue; // two plan arguments that agree on this shape
          seen.add(planName);
          const row: MatmulRow = { ...head, variant: `${variant.id} ${variant.name}`, plan: planName };
          const why = plan ? cannotRun(variant, plan, shape, sh.transA, sh.transB, backend) : null;
          if (why) {
            emit({ ...row, skipped: why });
            continue;
          }
          const once = () =>
            tf
              .engine()
              .makeTensorFromTensorInfo(
                runVariant(variant, backend, a, b, shape, sh.transA, sh.transB, plan ?? { tile: '128x128', splitK: 1 }),
              );
          const first = once();
          const got = (await first.data()) as Float32Array;
          first.dispose();
          row.err = samples.reduce((worst, s) => Math.max(worst, Math.abs(got[s.index] - s.want) / s.scale), 0);
          row.err = +row.err.toExponential(2);
          row.valid = row.err <= MAX_ERR;
          if (row.valid && opts.reps > 0) {
            // Each output is disposed before the next product, so tfjs's buffer pool hands the same buffer back:
            // the timing is the kernel's, not a fresh GPU allocation's.
            const timed = async (n: number) => {
              const t0 = performance.now();
              for (let r = 0; r < n - 1; r++) once().dispose();
              const last = once();
              await last.data();
              last.dispose();
              return (performance.now() - t0) / n;
            };
            await timed(2);
            const ms = await timed(opts.reps);
            row.ms = +ms.toFixed(3);
            row.tflops = +(flops / ms / 1e9).toPrecision(3);
            timedRows.push(row);
          }
          emit(row);
        }
      }
      const best = timedRows.reduce<MatmulRow | null>((x, y) => (!x || y.ms! < x.ms! ? y : x), null);
      if (best) emit({ ...best, variant: `best: ${best.variant}` });
    } finally {
      tf.dispose([a, b]);
    }
  }
  return rows;
}
