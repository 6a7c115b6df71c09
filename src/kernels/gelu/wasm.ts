// wasm kernels for NanometaGelu / NanometaGeluGrad: cpu.ts's loops over views of the wasm heap.
import type * as tf from '@tensorflow/tfjs-core';
import { f32, fromValues, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { geluGradLoop, geluLoop } from './cpu.js';
import { GELU, GELU_GRAD } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function geluWasm({ inputs, backend }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  return fromValues(be, geluLoop(f32(be, x)), x.shape);
}

function geluGradWasm({ inputs, backend }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  return fromValues(be, geluGradLoop(f32(be, x), f32(be, dy)), x.shape);
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: GELU, backendName: 'wasm', kernelFunc: geluWasm },
  { kernelName: GELU_GRAD, backendName: 'wasm', kernelFunc: geluGradWasm },
];
