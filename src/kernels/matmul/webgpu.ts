// nanometa's WebGPU BatchMatMul in place of tfjs's (whose transposed-B products, the LM head's, ran at
// ~8 TFLOP/s on an H200): program.ts's tiled SGEMM for float32 products whose batch dimensions are equal
// or one-sided (a shared matrix); anything else (int32, general broadcasting) goes to tfjs's own kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GEMM_VARIANTS, GemmProgram, gemmWorkgroupBytes, wideEligible, planGemm, SplitKReduceProgram, type GemmAddend, type GemmGelu, type GemmShape, type GemmTile, type GemmVariant } from './program.js';
import { originalKernel, runOriginal } from '../override.js';
import { recordGemm, tunedGemm, tuneGemms, type GemmCall, type GemmChoice, type TuneOptions, type TuneReport } from './tune.js';

const KERNEL = 'BatchMatMul';
const FUSED = '_FusedMatMul'; // tf.fused.matMul: A·B + bias (accumulation when bias has C's shape)

/** Forces one tile size, or tfjs's own kernel (benchmarks, tests); null: planGemm decides. */
let forcedTile: GemmTile | 'tfjs' | null = null;
/** Forces a K split (tests); null: planGemm decides. */
let forcedSplit: number | null = null;
/**
 * The inner-loop layout (program.ts): env NANOMETA_GEMM=scalar picks the simpler one, =prefetch the one with
 * register double-buffering, for comparisons; anything else (or unset) the default vec4.
 */
let variant: GemmVariant = GEMM_VARIANTS.find((v) => v === process.env.NANOMETA_GEMM) ?? 'vec4';


/** The product's shape for the GEMM program, or null when only tfjs's kernel can do it (broadcasting). */
export function gemmShape(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): { shape: GemmShape; outShape: number[] } | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length, rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA), batchB = tf.util.sizeFromShape(outerB);
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

let lastRun: GemmChoice | null = null;

/** Tests: the tile, split and inner loop the last product ran with (after runGemm's fallbacks). */
export function lastGemmRun(): GemmChoice | null {
  return lastRun;
}

/** The tile, split and inner loop of one product: forced ones (tests, benchmarks), else tuned, else planGemm's. */
function choose(call: GemmCall): GemmChoice {
  const plan = planGemm(call.shape);
  let pick: GemmChoice;
  if (forcedTile !== null || forcedSplit !== null) {
    const tile = forcedTile === null || forcedTile === 'tfjs' ? plan.tile : forcedTile;
    pick = { tile, splitK: forcedSplit ?? (forcedTile !== null ? 1 : plan.splitK), variant };
  } else pick = tunedGemm(call) ?? { ...plan, variant };
  return call.shape.batch === 1 ? pick : { ...pick, splitK: 1 };
}

/**
 * C = op(A)·op(B) (+ addends, bound as C0 and C1 in GemmProgram's order) with the tile, K split and inner loop
 * `choose` picks (or `choice`, the tuner's candidate); a split runs a second, reducing dispatch. Also the
 * WebGPU kernel of NanometaLinear (kernels/linear).
 */
export function runGemm(backend: WebGPUBackend, a: tf.TensorInfo, b: tf.TensorInfo, shape: GemmShape, transA: boolean, transB: boolean,
  addend: GemmAddend, addends: tf.TensorInfo[] = [], gelu: GemmGelu = 'none', choice?: GemmChoice): tf.TensorInfo {
  const call: GemmCall = { shape: { ...shape, splitK: 1 }, transA, transB, addend, gelu };
  if (!choice) recordGemm(call);
  const { tile, splitK, variant: wanted } = choice ?? choose(call);
  // 'deep' 128x128 needs more than 32 KiB of workgroup memory; 'wide' needs vec4-aligned operands.
  const loop = wanted === 'vec4' || (fits(backend, tile, wanted) && (wanted !== 'wide' || wideEligible(shape, transA, transB))) ? wanted : 'vec4';
  lastRun = { tile, splitK, variant: loop };
  if (splitK <= 1) {
    const program = new GemmProgram(shape, transA, transB, tile, addend, loop, gelu);
    return backend.runWebGPUProgram(program, [a, b, ...addends], 'float32', program.uniformData()); // (batch, M, N)
  }
  const program = new GemmProgram({ ...shape, splitK }, transA, transB, tile, 'none', loop, gelu);
  const partials = backend.runWebGPUProgram(program, [a, b], 'float32', program.uniformData()); // (splitK, M, N)
  const reduce = new SplitKReduceProgram(splitK, shape.M, shape.N, addend);
  const out = backend.runWebGPUProgram(reduce, [partials, ...addends], 'float32'); // (M, N)
  backend.disposeData(partials.dataId);
  return out;
}

/** Whether the tile and inner loop's workgroup memory fits the device. */
function fits(backend: WebGPUBackend, tile: GemmTile, loop: GemmVariant): boolean {
  return gemmWorkgroupBytes(tile, loop) <= backend.device.limits.maxComputeWorkgroupStorageSize;
}

/** WebGPU validation and internal errors of the work issued between open and close (TuneOptions.errorScope). */
export function webgpuErrorScope(backend: WebGPUBackend): NonNullable<TuneOptions['errorScope']> {
  const device = backend.device;
  return {
    open: () => {
      device.pushErrorScope('validation');
      device.pushErrorScope('internal');
    },
    close: async () => {
      const internal = await device.popErrorScope();
      const validation = await device.popErrorScope();
      return (validation ?? internal)?.message ?? null;
    },
  };
}

/**
 * Tunes the products recorded since startGemmRecording (kernels/matmul/tune.ts) on the active WebGPU backend;
 * `device` keys the cache (BackendInfo.device).
 */
export function tuneWebGPUGemms(opts: Omit<TuneOptions, 'run'>): Promise<TuneReport> {
  const backend = tf.backend() as WebGPUBackend;
  return tuneGemms({
    ...opts,
    admissible: (choice) => fits(backend, choice.tile, choice.variant),
    errorScope: webgpuErrorScope(backend),
    run: (inputs, call, choice) => runGemm(backend, inputs[0], inputs[1], call.shape, call.transA, call.transB, call.addend, inputs.slice(2), call.gelu, choice),
  });
}

function batchMatMulWebGPU(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const plan = gemmShape(a, b, transposeA, transposeB);
  if (!plan || plan.shape.K === 0 || forcedTile === 'tfjs') return runOriginal(KERNEL, 'webgpu', args);
  const out = runGemm(backend as WebGPUBackend, a, b, plan.shape, transposeA, transposeB, 'none');
  return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' }; // same buffer, the caller's shape
}

/** tf.fused.matMul without activation: the bias (C's full shape, or one row of N) is added in the epilogue. */
function fusedMatMulWebGPU(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
  const plan = gemmShape(a!, b!, transposeA, transposeB);
  const { batch, M, N } = plan?.shape ?? { batch: 0, M: 0, N: 0 };
  const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
  const addend: GemmAddend | null = !bias ? 'none' : biasSize === batch * M * N && bias.dtype === 'float32' ? 'full'
    : biasSize === N && bias.shape[bias.shape.length - 1] === N && bias.dtype === 'float32' ? 'row' : null;
  if (!plan || plan.shape.K === 0 || addend === null || preluActivationWeights || (activation && activation !== 'linear') || forcedTile === 'tfjs') {
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

/** Benchmarks and tests: pin the tile size or tfjs's kernel ('tfjs'); null restores the automatic choice. */
export function setGemmTile(tile: GemmTile | 'tfjs' | null): void {
  forcedTile = tile;
}

/** Tests and benchmarks: the inner-loop layout. */
export function setGemmVariant(v: GemmVariant): void {
  variant = v;
}

/** The inner-loop layout products run with now (NANOMETA_GEMM, or the last setGemmVariant). */
export function gemmVariant(): GemmVariant {
  return variant;
}

/** Tests: force a K split for batch-1 products (null: planGemm decides). */
export function setGemmSplit(splitK: number | null): void {
  forcedSplit = splitK;
}
