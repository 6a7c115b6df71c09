// cpu kernel for NanometaRowLogSumExp: one pass for the max and one for the sum per row, no (n, V) temporaries.
// tf.logSumExp on cpu runs max, sub, exp, sum, log, add as six kernels with two (n, V) intermediates.
import type * as tf from '@tensorflow/tfjs-core';
import { ROW_LOGSUMEXP } from './index.js';

/** lse (n) of x (n, V) stored row-major. */
export function rowLogSumExpLoop(x: Float32Array, n: number, V: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (x[o + j] > max) max = x[o + j];
    if (max === -Infinity || max === Infinity || Number.isNaN(max)) {
      out[i] = max;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(x[o + j] - max);
    out[i] = max + Math.log(sum);
  }
  return out;
}

function rowLogSumExpCpu({ inputs, backend: kernelBackend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const [n, V] = x.shape;
  const shape = [n];
  const values = rowLogSumExpLoop(backend.readSync(x.dataId) as Float32Array, n, V);
  return { dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
}

const rowLogSumExpCpuConfig: tf.KernelConfig = {
  kernelName: ROW_LOGSUMEXP,
  backendName: 'cpu',
  kernelFunc: rowLogSumExpCpu,
};

export const cpuKernels: tf.KernelConfig[] = [rowLogSumExpCpuConfig];
