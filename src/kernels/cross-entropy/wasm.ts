// wasm kernels for NanometaRowPick (with lse: the row's loss) and NanometaCrossEntropyGrad: the gradient in
// nanometa's SIMD kernel (simd/elementwise.ts) on the heap in place, the row pick (n values) and the gradient without
// WebAssembly SIMD in cpu.ts's loops over views of the heap.
import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../../backend/simd.js';
import { allocate, f32, fromValues, i32, pointer, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { crossEntropyGradLoop, rowPickLoop } from './cpu.js';
import { CROSS_ENTROPY_GRAD, ROW_PICK, type CrossEntropyGradAttrs } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function rowPickWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { logits, labels, lse } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo; lse?: tf.TensorInfo };
  const [n, V] = logits.shape;
  const values = rowPickLoop(f32(be, logits), i32(be, labels), n, V);
  if (lse) {
    const scale = (attrs as unknown as Partial<CrossEntropyGradAttrs> | undefined)?.scale ?? 1;
    const l = f32(be, lse);
    for (let i = 0; i < n; i++) values[i] = (l[i] - values[i]) * scale;
  }
  return fromValues(be, values, [n]);
}

function crossEntropyGradWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { logits, lse, labels } = inputs as { logits: tf.TensorInfo; lse: tf.TensorInfo; labels: tf.TensorInfo };
  const { scale } = attrs as unknown as CrossEntropyGradAttrs;
  const [n, V] = logits.shape;
  const simd = simdKernels(be);
  if (!simd)
    return fromValues(be, crossEntropyGradLoop(f32(be, logits), f32(be, lse), i32(be, labels), n, V, scale), [n, V]);
  const [dx] = allocate(be, [[n, V]]);
  simd.crossEntropyGrad(pointer(be, logits), pointer(be, lse), pointer(be, labels), pointer(be, dx), n, V, scale);
  return dx;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: ROW_PICK, backendName: 'wasm', kernelFunc: rowPickWasm },
  { kernelName: CROSS_ENTROPY_GRAD, backendName: 'wasm', kernelFunc: crossEntropyGradWasm },
];
