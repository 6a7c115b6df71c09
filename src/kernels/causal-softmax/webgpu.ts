// WebGPU kernels for NanometaCausalSoftmax and its gradient: one dispatch each, over a (rows, T) view of
// the (..., T, T) input (stock scale + mask + softmax take four forward and more backward).
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { CAUSAL_SOFTMAX, CAUSAL_SOFTMAX_GRAD, type CausalSoftmaxAttrs } from './index.js';
import { CausalSoftmaxGradProgram, CausalSoftmaxProgram } from './program.js';

/** The same buffer seen as (rows, T), as tfjs's own Reshape does: no copy, no new data id. */
function rowsView(t: tf.TensorInfo): tf.TensorInfo {
  const T = t.shape[t.shape.length - 1];
  const size = tf.util.sizeFromShape(t.shape);
  return { dataId: t.dataId, shape: [size / T, T], dtype: t.dtype };
}

function causalSoftmaxWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { scale } = attrs as unknown as CausalSoftmaxAttrs;
  const view = rowsView(x);
  const program = new CausalSoftmaxProgram(view.shape[0], view.shape[1]);
  const out = (backend as WebGPUBackend).runWebGPUProgram(program, [view], 'float32', [
    { type: 'float32', data: [scale] },
  ]);
  return { ...out, shape: x.shape }; // (..., T, T)
}

function causalSoftmaxGradWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const { scale } = attrs as unknown as CausalSoftmaxAttrs;
  const [dyView, yView] = [rowsView(dy), rowsView(y)];
  const program = new CausalSoftmaxGradProgram(yView.shape[0], yView.shape[1]);
  const out = (backend as WebGPUBackend).runWebGPUProgram(program, [dyView, yView], 'float32', [
    { type: 'float32', data: [scale] },
  ]);
  return { ...out, shape: y.shape }; // (..., T, T)
}

const causalSoftmaxWebGPUConfig: tf.KernelConfig = {
  kernelName: CAUSAL_SOFTMAX,
  backendName: 'webgpu',
  kernelFunc: causalSoftmaxWebGPU,
};

const causalSoftmaxGradWebGPUConfig: tf.KernelConfig = {
  kernelName: CAUSAL_SOFTMAX_GRAD,
  backendName: 'webgpu',
  kernelFunc: causalSoftmaxGradWebGPU,
};

export const webgpuKernels: tf.KernelConfig[] = [causalSoftmaxWebGPUConfig, causalSoftmaxGradWebGPUConfig];
