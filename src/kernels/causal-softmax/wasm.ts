// wasm kernels for NanometaCausalSoftmax and its gradient: cpu.ts's loops over views of the wasm heap.
import type * as tf from '@tensorflow/tfjs-core';
import { f32, fromValues, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { causalSoftmaxGradLoop, causalSoftmaxLoop } from './cpu.js';
import { CAUSAL_SOFTMAX, CAUSAL_SOFTMAX_GRAD, type CausalSoftmaxAttrs } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function causalSoftmaxWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const { scale } = attrs as unknown as CausalSoftmaxAttrs;
  return fromValues(be, causalSoftmaxLoop(f32(be, x), x.shape[x.shape.length - 1], scale), x.shape); // (..., T, T)
}

function causalSoftmaxGradWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const { scale } = attrs as unknown as CausalSoftmaxAttrs;
  return fromValues(be, causalSoftmaxGradLoop(f32(be, dy), f32(be, y), y.shape[y.shape.length - 1], scale), y.shape); // (..., T, T)
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: CAUSAL_SOFTMAX, backendName: 'wasm', kernelFunc: causalSoftmaxWasm },
  { kernelName: CAUSAL_SOFTMAX_GRAD, backendName: 'wasm', kernelFunc: causalSoftmaxGradWasm },
];
