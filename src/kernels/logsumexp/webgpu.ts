// WebGPU kernel for NanometaRowLogSumExp: one dispatch per call (tf.logSumExp takes six).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ROW_LOGSUMEXP } from './index.js';
import { RowLogSumExpProgram } from './program.js';

function rowLogSumExpWebGPU({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  return (backend as WebGPUBackend).runWebGPUProgram(new RowLogSumExpProgram(x.shape[0]), [x], 'float32'); // (n)
}

const rowLogSumExpWebGPUConfig: tf.KernelConfig = {
  kernelName: ROW_LOGSUMEXP,
  backendName: 'webgpu',
  kernelFunc: rowLogSumExpWebGPU,
};

export const webgpuKernels: tf.KernelConfig[] = [rowLogSumExpWebGPUConfig];
