// wasm kernel for NanometaRowLogSumExp: nanometa's SIMD kernel (simd/elementwise.ts) on the heap in place; cpu.ts's
// loop over a heap view where there is no WebAssembly SIMD.
import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../../backend/simd.js';
import { allocate, f32, fromValues, pointer, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { rowLogSumExpLoop } from './cpu.js';
import { ROW_LOGSUMEXP } from './index.js';

function rowLogSumExpWasm({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const [n, V] = x.shape;
  const simd = simdKernels(be);
  if (!simd) return fromValues(be, rowLogSumExpLoop(f32(be, x), n, V), [n]);
  const [lse] = allocate(be, [[n]]);
  simd.rowLogSumExp(pointer(be, x), pointer(be, lse), n, V);
  return lse;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: ROW_LOGSUMEXP, backendName: 'wasm', kernelFunc: rowLogSumExpWasm },
];
