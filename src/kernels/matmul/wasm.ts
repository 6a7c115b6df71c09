// Matrix products on the wasm backend. tfjs-backend-wasm 4.22 hands a product to XNNPACK only when neither operand
// is transposed and both batch sizes are 1; otherwise it runs a scalar loop, 0.5-3 GFLOP/s instead of 12-40 GFLOP/s
// (bench/wasm-matmul.ts). So BatchMatMul and _FusedMatMul are replaced by versions that transpose the flagged operand
// first (the backend's own Transpose kernel) and multiply untransposed; _FusedMatMul's bias, which tfjs-wasm takes
// only as a vector, may also be a full matrix (model/loss.ts adds the running dW so). xnnMatMul is the product our
// kernels call.
import * as tf from '@tensorflow/tfjs-core';
import { f32, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { originalKernel, replaceKernel } from '../override.js';

type Args = Parameters<tf.KernelFunc>[0];

/** x with its last two axes swapped, a new tensor on the heap (the caller disposes it). */
function transposeLast2(backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return tf.getKernel('Transpose', 'wasm')!.kernelFunc({ inputs: { x }, attrs: { perm }, backend }) as tf.TensorInfo;
}

/** _FusedMatMul with a bias of the output's size: the product, then the bias added in place (a fresh output). */
function matrixBias(original: tf.KernelFunc, args: Args): tf.TensorInfo {
  const { bias, ...inputs } = args.inputs as Record<string, tf.TensorInfo>;
  const { activation } = args.attrs as { activation?: string };
  if (activation && activation !== 'linear') throw new Error(`_FusedMatMul on wasm: a matrix bias [${bias.shape}] with activation ${activation} is not supported`);
  const be = args.backend as WasmHeapBackend;
  const out = original({ ...args, inputs }) as tf.TensorInfo;
  const y = f32(be, out);
  const b = f32(be, bias);
  if (b.length !== y.length) throw new Error(`_FusedMatMul on wasm: bias [${bias.shape}] must be a vector or the output's shape [${out.shape}]`);
  for (let i = 0; i < y.length; i++) y[i] += b[i];
  return out;
}

/** The backend's own product kernel `name`, run with both operands untransposed. */
function untransposed(name: string): tf.KernelFunc {
  return (args: Args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    const original0 = originalKernel(name, 'wasm')!;
    const bias = (args.inputs as { bias?: tf.TensorInfo }).bias;
    const original: tf.KernelFunc = bias && bias.shape.length !== 1 ? (a) => matrixBias(original0, a) : original0;
    if (!transposeA && !transposeB) return original(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const backend = args.backend as tf.KernelBackend;
    const ta = transposeA ? transposeLast2(backend, a) : a;
    const tb = transposeB ? transposeLast2(backend, b) : b;
    try {
      return original({ ...args, inputs: { ...args.inputs, a: ta, b: tb }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (ta !== a) backend.disposeData(ta.dataId);
      if (tb !== b) backend.disposeData(tb.dataId);
    }
  };
}

/** Replaces the wasm backend's BatchMatMul and _FusedMatMul (a no-op until that backend has loaded its kernels). */
export function overrideWasmMatMul(): void {
  for (const name of ['BatchMatMul', '_FusedMatMul']) replaceKernel(name, 'wasm', untransposed(name));
}

/** c (M, N) = op(a) op(b) + bias, op = transpose where asked; a, b 2-D float32 on the wasm heap, bias (N)? */
export function xnnMatMul(backend: WasmHeapBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean,
  bias?: tf.TensorInfo): tf.TensorInfo {
  const kernel = tf.getKernel('_FusedMatMul', 'wasm');
  if (!kernel) throw new Error('tfjs-backend-wasm registered no _FusedMatMul kernel');
  const batch = (t: tf.TensorInfo): tf.TensorInfo => ({ ...t, shape: [1, ...t.shape] });
  const inputs: Record<string, tf.TensorInfo> = { a: batch(a), b: batch(b) };
  if (bias) inputs.bias = bias;
  const attrs = { transposeA, transposeB, activation: 'linear', leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap;
  const out = kernel.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo; // (1, M, N)
  return { ...out, shape: out.shape.slice(1) };
}
