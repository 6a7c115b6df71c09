// A faster cpu BatchMatMul: every product is computed as C = A · Bᵀ over contiguous rows (4-way unrolled
// dot products, column blocks kept in cache), after copying an operand into row-major (rows, K) layout
// when its transpose flag asks for it. 2-3x tfjs-backend-cpu's kernel on this machine. _FusedMatMul (a product plus a bias) gets the same product.
// The reference is tfjs's own cpu kernel, which stays the fallback for broadcasting it alone handles.
import * as tf from '@tensorflow/tfjs-core';
import { originalKernel, runOriginal } from '../override.js';

const KERNEL = 'BatchMatMul';
const FUSED = '_FusedMatMul';
const COLUMN_BLOCK = 64; // rows of Bᵀ kept hot in cache while every row of A passes over them

/** c (M, N) = a (M, K) · b (N, K)ᵀ; a, b row-major at the given offsets. */
export function matMulABt(
  a: Float32Array,
  ao: number,
  b: Float32Array,
  bo: number,
  c: Float32Array,
  co: number,
  M: number,
  N: number,
  K: number,
): void {
  for (let j0 = 0; j0 < N; j0 += COLUMN_BLOCK) {
    const j1 = Math.min(N, j0 + COLUMN_BLOCK);
    for (let i = 0; i < M; i++) {
      const ai = ao + i * K;
      const ci = co + i * N;
      for (let j = j0; j < j1; j++) {
        const bj = bo + j * K;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0,
          k = 0;
        for (; k + 3 < K; k += 4) {
          s0 += a[ai + k] * b[bj + k];
          s1 += a[ai + k + 1] * b[bj + k + 1];
          s2 += a[ai + k + 2] * b[bj + k + 2];
          s3 += a[ai + k + 3] * b[bj + k + 3];
        }
        for (; k < K; k++) s0 += a[ai + k] * b[bj + k];
        c[ci + j] = s0 + s1 + s2 + s3;
      }
    }
  }
}

/** Transposes `batch` matrices (R, S) -> (S, R). */
function transposeBatch(x: Float32Array, batch: number, R: number, S: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    const o = b * R * S;
    for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) out[o + s * R + r] = x[o + r * S + s];
  }
  return out;
}

/** The product as a new array and its shape, or null for what only tfjs's kernel handles (general broadcasting). */
export function product(
  backend: tf.KernelBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { out: Float32Array; shape: number[] } | null {
  const rankA = a.shape.length,
    rankB = b.shape.length;
  const batchA = a.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  const sameBatch = rankA === rankB && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameBatch || (rankB === 2 && !transposeA))) return null;
  const [M, K] = transposeA ? [a.shape[rankA - 1], a.shape[rankA - 2]] : [a.shape[rankA - 2], a.shape[rankA - 1]];
  const N = transposeB ? b.shape[rankB - 2] : b.shape[rankB - 1];
  let av = backend.readSync(a.dataId) as Float32Array;
  let bv = backend.readSync(b.dataId) as Float32Array;
  if (transposeA) av = transposeBatch(av, batchA, K, M); // -> (M, K) rows
  if (!transposeB) bv = transposeBatch(bv, batchB, K, N); // -> (N, K) rows
  const batch = sameBatch ? batchA : 1;
  const rowsA = sameBatch ? M : batchA * M; // a 2-D b is shared by every batch of a: fold the batch into rows
  const out = new Float32Array(batchA * M * N);
  for (let i = 0; i < batch; i++)
    matMulABt(av, i * rowsA * K, bv, (sameBatch ? i : 0) * N * K, out, i * rowsA * N, rowsA, N, K);
  return { out, shape: [...a.shape.slice(0, -2), M, N] };
}

type MatMulAttrs = { transposeA: boolean; transposeB: boolean; activation?: string | null };

function batchMatMulCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as tf.KernelBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
  const p = product(backend, a, b, transposeA, transposeB);
  if (!p) return runOriginal(KERNEL, 'cpu', args);
  return { dataId: backend.write(p.out, p.shape, 'float32'), shape: p.shape, dtype: 'float32' };
}

/**
 * tf.fused.matMul without activation: the product above plus a bias of C's shape (accumulation, as the
 * fused cross-entropy's dW) or one row of N, added in place. tfjs's own cpu _FusedMatMul calls its slow
 * BatchMatMul directly, so it would not benefit from the kernel above otherwise.
 */
function fusedMatMulCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as tf.KernelBackend;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = args.attrs as unknown as MatMulAttrs;
  const plain =
    !preluActivationWeights && (!activation || activation === 'linear') && (!bias || bias.dtype === 'float32');
  const p = plain ? product(backend, a!, b!, transposeA, transposeB) : null;
  const N = p?.shape[p.shape.length - 1] ?? 0;
  const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
  if (!p || (bias && biasSize !== p.out.length && !(biasSize === N && bias.shape[bias.shape.length - 1] === N)))
    return runOriginal(FUSED, 'cpu', args);
  if (bias) {
    const bv = backend.readSync(bias.dataId) as Float32Array;
    if (biasSize === p.out.length) for (let i = 0; i < p.out.length; i++) p.out[i] += bv[i];
    else for (let i = 0; i < p.out.length; i++) p.out[i] += bv[i % N];
  }
  return { dataId: backend.write(p.out, p.shape, 'float32'), shape: p.shape, dtype: 'float32' };
}

/** In place of tfjs's cpu BatchMatMul and _FusedMatMul (kernels/override.ts keeps those as the fallbacks). */
export const cpuKernels: tf.KernelConfig[] = [
  { kernelName: KERNEL, backendName: 'cpu', kernelFunc: batchMatMulCpu },
  { kernelName: FUSED, backendName: 'cpu', kernelFunc: fusedMatMulCpu },
];

/** tfjs's own cpu kernel (the reference), for tests; null before the cpu kernels were registered. */
export function originalCpuMatMul(): tf.KernelFunc | null {
  return originalKernel(KERNEL, 'cpu');
}
