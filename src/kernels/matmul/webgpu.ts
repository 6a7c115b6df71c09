// nanometa's WebGPU BatchMatMul in place of tfjs's (whose transposed-B products, the LM head's, ran at
// ~8 TFLOP/s on an H200): program.ts's tiled SGEMM for float32 products whose batch dimensions are equal
// or one-sided (a shared matrix); anything else (int32, general broadcasting) goes to tfjs's own kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  GemmProgram,
  planGemm,
  SplitKReduceProgram,
  type GemmAddend,
  type GemmGelu,
  type GemmPlan,
  type GemmShape,
  type GemmTile,
} from './program.js';
import { originalKernel, runOriginal } from '../override.js';

const KERNEL = 'BatchMatMul';
const FUSED = '_FusedMatMul'; // tf.fused.matMul: A·B + bias (accumulation when bias has C's shape)

/** Forces one tile size (tests); null: planGemm decides. */
let forcedTile: GemmTile | null = null;
/** Forces a K split (tests); null: planGemm decides. */
let forcedSplit: number | null = null;

/** The product's shape for the GEMM program, or null when only tfjs's kernel can do it (broadcasting). */
export function gemmShape(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transA: boolean,
  transB: boolean,
): { shape: GemmShape; outShape: number[] } | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length,
    rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2),
    outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA),
    batchB = tf.util.sizeFromShape(outerB);
  let outer: number[];
  if (batchB === 1) outer = outerA;
  else if (batchA === 1) outer = outerB;
  else if (outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else return null;
  const batch = tf.util.sizeFromShape(outer);
  if (M === 0 || N === 0 || batch === 0) return null;
  return {
    shape: { batch, M, N, K, strideA: batchA === 1 ? 0 : M * K, strideB: batchB === 1 ? 0 : K * N, splitK: 1 },
    outShape: [...outer, M, N],
  };
}

/** The tile and split of one product: planGemm's, or the ones tests force. */
function choose(shape: Omit<GemmShape, 'splitK'>): GemmPlan {
  const plan = planGemm(shape);
  if (forcedTile === null && forcedSplit === null) return plan;
  const splitK = forcedSplit ?? (forcedTile !== null ? 1 : plan.splitK);
  return { tile: forcedTile ?? plan.tile, splitK: shape.batch === 1 ? splitK : 1 };
}

/** Builds the program of one product; bench/matmul's variants pass their own. */
export type GemmProgramFactory = (
  shape: GemmShape,
  transA: boolean,
  transB: boolean,
  tile: GemmTile,
  addend: GemmAddend,
  gelu: GemmGelu,
) => GemmProgram;

const vec4Program: GemmProgramFactory = (shape, transA, transB, tile, addend, gelu) =>
  new GemmProgram(shape, transA, transB, tile, addend, gelu);

/**
 * C = op(A)·op(B) (+ addends, bound as C0 and C1 in GemmProgram's order) with `plan`'s tile and K split
 * (default: `choose`'s); a split runs a second, reducing dispatch. Also the WebGPU kernel of NanometaLinear
 * (kernels/linear).
 */
export function runGemm(
  backend: WebGPUBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  shape: GemmShape,
  transA: boolean,
  transB: boolean,
  addend: GemmAddend,
  addends: tf.TensorInfo[] = [],
  gelu: GemmGelu = 'none',
  plan: GemmPlan = choose(shape),
  program: GemmProgramFactory = vec4Program,
): tf.TensorInfo {
  const { tile, splitK } = plan;
  if (splitK <= 1) {
    const gemm = program({ ...shape, splitK: 1 }, transA, transB, tile, addend, gelu);
    return backend.runWebGPUProgram(gemm, [a, b, ...addends], 'float32', gemm.uniformData()); // (batch, M, N)
  }
  const gemm = program({ ...shape, splitK }, transA, transB, tile, 'none', gelu);
  const partials = backend.runWebGPUProgram(gemm, [a, b], 'float32', gemm.uniformData()); // (splitK, M, N)
  const reduce = new SplitKReduceProgram(splitK, shape.M, shape.N, addend);
  const out = backend.runWebGPUProgram(reduce, [partials, ...addends], 'float32'); // (M, N)
  backend.disposeData(partials.dataId);
  return out;
}

function batchMatMulWebGPU(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const plan = gemmShape(a, b, transposeA, transposeB);
  if (!plan || plan.shape.K === 0) return runOriginal(KERNEL, 'webgpu', args);
  const out = runGemm(backend as WebGPUBackend, a, b, plan.shape, transposeA, transposeB, 'none');
  return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' }; // same buffer, the caller's shape
}

/** tf.fused.matMul without activation: the bias (C's full shape, or one row of N) is added in the epilogue. */
function fusedMatMulWebGPU(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = attrs as unknown as {
    transposeA: boolean;
    transposeB: boolean;
    activation?: string;
  };
  const plan = gemmShape(a!, b!, transposeA, transposeB);
  const { batch, M, N } = plan?.shape ?? { batch: 0, M: 0, N: 0 };
  const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
  const addend: GemmAddend | null = !bias
    ? 'none'
    : biasSize === batch * M * N && bias.dtype === 'float32'
      ? 'full'
      : biasSize === N && bias.shape[bias.shape.length - 1] === N && bias.dtype === 'float32'
        ? 'row'
        : null;
  if (
    !plan ||
    plan.shape.K === 0 ||
    addend === null ||
    preluActivationWeights ||
    (activation && activation !== 'linear')
  ) {
    return runOriginal(FUSED, 'webgpu', args);
  }
  const out = runGemm(backend as WebGPUBackend, a!, b!, plan.shape, transposeA, transposeB, addend, bias ? [bias] : []);
  return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' };
}

/** In place of tfjs's webgpu BatchMatMul and _FusedMatMul (kernels/override.ts keeps those as the fallbacks). */
export const webgpuKernels: tf.KernelConfig[] = [
  { kernelName: KERNEL, backendName: 'webgpu', kernelFunc: batchMatMulWebGPU },
  { kernelName: FUSED, backendName: 'webgpu', kernelFunc: fusedMatMulWebGPU },
];

/** tfjs's own webgpu kernel, for tests and benchmarks; null before the webgpu kernels were registered. */
export function originalWebGPUMatMul(): tf.KernelFunc | null {
  return originalKernel(KERNEL, 'webgpu');
}

/** Tests: pin the tile size; null restores planGemm's choice. */
export function setGemmTile(tile: GemmTile | null): void {
  forcedTile = tile;
}

/** Tests: force a K split for batch-1 products (null: planGemm decides). */
export function setGemmSplit(splitK: number | null): void {
  forcedSplit = splitK;
}
