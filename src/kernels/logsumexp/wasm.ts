// wasm kernel for NanometaRowLogSumExp: cpu.ts's loop over a view of the wasm heap.
import type * as tf from '@tensorflow/tfjs-core';
import { f32, fromValues, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { rowLogSumExpLoop } from './cpu.js';
import { ROW_LOGSUMEXP } from './index.js';

function rowLogSumExpWasm({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const [n, V] = x.shape;
  return fromValues(be, rowLogSumExpLoop(f32(be, x), n, V), [n]);
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: ROW_LOGSUMEXP, backendName: 'wasm', kernelFunc: rowLogSumExpWasm },
];
