// cpu kernels for NanometaCausalSoftmax and its gradient: one pass per (query) row over the typed arrays,
// accumulating in float64; masked entries (j > i) are never read and written as exact zeros.
import type * as tf from '@tensorflow/tfjs-core';
import { CAUSAL_SOFTMAX, CAUSAL_SOFTMAX_GRAD, type CausalSoftmaxAttrs } from './index.js';

/** y (rows*T) from scores s (rows*T), rows of length T; row r is query position i = r mod T. */
export function causalSoftmaxLoop(s: Float32Array, T: number, scale: number): Float32Array {
  const y = new Float32Array(s.length);
  for (let o = 0; o < s.length; o += T) {
    const i = (o / T) % T;
    let m = -Infinity;
    for (let j = 0; j <= i; j++) m = Math.max(m, scale * s[o + j]);
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += Math.exp(scale * s[o + j] - m);
    for (let j = 0; j <= i; j++) y[o + j] = Math.exp(scale * s[o + j] - m) / sum;
  }
  return y;
}

/** dx = scale * y * (dy - sum_j dy*y) per row, from the saved output y; 0 where y is masked. */
export function causalSoftmaxGradLoop(dy: Float32Array, y: Float32Array, T: number, scale: number): Float32Array {
  const dx = new Float32Array(y.length);
  for (let o = 0; o < y.length; o += T) {
    const i = (o / T) % T;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j <= i; j++) dx[o + j] = scale * y[o + j] * (dy[o + j] - dot);
  }
  return dx;
}

function causalSoftmaxCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const { scale } = attrs as unknown as CausalSoftmaxAttrs;
  const T = x.shape[x.shape.length - 1];
  const y = causalSoftmaxLoop(backend.readSync(x.dataId) as Float32Array, T, scale); // (..., T, T)
  return { dataId: backend.write(y, x.shape, 'float32'), shape: x.shape, dtype: 'float32' };
}

function causalSoftmaxGradCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const { scale } = attrs as unknown as CausalSoftmaxAttrs;
  const T = y.shape[y.shape.length - 1];
  const g = backend.readSync(dy.dataId) as Float32Array; // (..., T, T)
  const dx = causalSoftmaxGradLoop(g, backend.readSync(y.dataId) as Float32Array, T, scale); // (..., T, T)
  return { dataId: backend.write(dx, y.shape, 'float32'), shape: y.shape, dtype: 'float32' };
}

const causalSoftmaxCpuConfig: tf.KernelConfig = {
  kernelName: CAUSAL_SOFTMAX,
  backendName: 'cpu',
  kernelFunc: causalSoftmaxCpu,
};

const causalSoftmaxGradCpuConfig: tf.KernelConfig = {
  kernelName: CAUSAL_SOFTMAX_GRAD,
  backendName: 'cpu',
  kernelFunc: causalSoftmaxGradCpu,
};

export const cpuKernels: tf.KernelConfig[] = [causalSoftmaxCpuConfig, causalSoftmaxGradCpuConfig];
