// Matrix products on the wasm backend. tfjs-backend-wasm 4.22 hands a product to XNNPACK only when neither operand
// is transposed and both batch sizes are 1; otherwise it runs a scalar loop, 0.5-3 GFLOP/s instead of 12-40 GFLOP/s
// (bench/wasm-matmul.ts). So BatchMatMul and _FusedMatMul are replaced by versions that multiply untransposed after
// transposing (the backend's own Transpose kernel) the flagged operand, or for aᵀ·b the other operand and the result
// when those are smaller; _FusedMatMul's bias, which tfjs-wasm takes only as a vector, may also be a full matrix
// (model/loss.ts adds the running dW so). xnnMatMul is the product our kernels call.
import * as tf from '@tensorflow/tfjs-core';
import { f32, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { originalKernel } from '../override.js';

type Args = Parameters<tf.KernelFunc>[0];

/** x with its last two axes swapped, a new tensor on the heap (the caller disposes it). */
function transposeLast2(backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return tf.getKernel('Transpose', 'wasm')!.kernelFunc({ inputs: { x }, attrs: { perm }, backend }) as tf.TensorInfo;
}

/** Adds `bias` in place to the fresh output `out`: a vector over its last axis, or a tensor of its size. */
function addBias(backend: WasmHeapBackend, out: tf.TensorInfo, bias?: tf.TensorInfo): tf.TensorInfo {
  if (!bias) return out;
  const y = f32(backend, out);
  const b = f32(backend, bias);
  const N = out.shape[out.shape.length - 1];
  if (b.length === y.length) for (let i = 0; i < y.length; i++) y[i] += b[i];
  else if (bias.shape.length === 1 && b.length === N) for (let i = 0; i < y.length; i++) y[i] += b[i % N];
  else
    throw new Error(
      `_FusedMatMul on wasm: bias [${bias.shape}] must be a vector of ${N} or the output's shape [${out.shape}]`,
    );
  return out;
}

/** Whether aᵀ·b is cheaper as (bᵀ·a)ᵀ: a (.., K, M), b (.., K, N); copies K·N + M·N elements instead of K·M. */
function swapPays(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const [K, M] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  return K * N + M * N < K * M;
}

/** aᵀ·b as (bᵀ·a)ᵀ, without bias (bench/wasm-matmul.ts v3: 1.6-2.6x at the LM head's and MLP's dW products). */
function swappedProduct(original: tf.KernelFunc, args: Args, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { a: _a, b: _b, bias: _bias, ...rest } = args.inputs as Record<string, tf.TensorInfo>;
  const tb = transposeLast2(backend, b); // (.., N, K)
  let p: tf.TensorInfo;
  try {
    p = original({
      ...args,
      inputs: { ...rest, a: tb, b: a },
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    }) as tf.TensorInfo; // (.., N, M)
  } finally {
    backend.disposeData(tb.dataId);
  }
  try {
    return transposeLast2(backend, p); // (.., M, N)
  } finally {
    backend.disposeData(p.dataId);
  }
}

/**
 * The backend's own product kernel `name`, run with both operands untransposed: aᵀ·b as (bᵀ·a)ᵀ where that copies
 * less, else the flagged operand transposed first; a bias that is not a vector is added after the product.
 */
function untransposed(name: string): tf.KernelFunc {
  return (args: Args) => {
    const { transposeA, transposeB, activation } = args.attrs as {
      transposeA?: boolean;
      transposeB?: boolean;
      activation?: string;
    };
    const original = originalKernel(name, 'wasm')!;
    const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const be = args.backend as WasmHeapBackend;
    const linear = !activation || activation === 'linear';
    if (transposeA && !transposeB && linear && swapPays(a, b))
      return addBias(be, swappedProduct(original, args, a, b), bias);
    const laterBias = bias && bias.shape.length !== 1 ? bias : undefined; // tfjs-wasm takes only a vector
    if (laterBias && !linear)
      throw new Error(
        `_FusedMatMul on wasm: a matrix bias [${laterBias.shape}] with activation ${activation} is not supported`,
      );
    const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
    if (laterBias) delete inputs.bias;
    const ta = transposeA ? transposeLast2(be, a) : a;
    const tb = transposeB ? transposeLast2(be, b) : b;
    try {
      const out = original({
        ...args,
        inputs: { ...inputs, a: ta, b: tb },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      }) as tf.TensorInfo;
      return addBias(be, out, laterBias);
    } finally {
      if (ta !== a) be.disposeData(ta.dataId);
      if (tb !== b) be.disposeData(tb.dataId);
    }
  };
}

/** In place of the wasm backend's BatchMatMul and _FusedMatMul (kernels/override.ts keeps those as the fallbacks). */
export const wasmKernels: tf.KernelConfig[] = ['BatchMatMul', '_FusedMatMul'].map((name) => ({
  kernelName: name,
  backendName: 'wasm',
  kernelFunc: untransposed(name),
}));

/** c (M, N) = op(a) op(b) + bias, op = transpose where asked; a, b 2-D float32 on the wasm heap, bias (N)? */
export function xnnMatMul(
  backend: WasmHeapBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias?: tf.TensorInfo,
): tf.TensorInfo {
  const kernel = tf.getKernel('_FusedMatMul', 'wasm');
  if (!kernel) throw new Error('tfjs-backend-wasm registered no _FusedMatMul kernel');
  const batch = (t: tf.TensorInfo): tf.TensorInfo => ({ ...t, shape: [1, ...t.shape] });
  const inputs: Record<string, tf.TensorInfo> = { a: batch(a), b: batch(b) };
  if (bias) inputs.bias = bias;
  const attrs = { transposeA, transposeB, activation: 'linear', leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap;
  const out = kernel.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo; // (1, M, N)
  return { ...out, shape: out.shape.slice(1) };
}
