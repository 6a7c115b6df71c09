// WebGPU kernel for NanometaEmbeddingGrad: sort positions by id, then one thread per (v, c) sums its run.
// Two dispatches, no float atomics, bit-for-bit the cpu loop's summation order.
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { EMBEDDING_GRAD, type EmbeddingGradAttrs } from './cpu.js';
import { EmbeddingGradProgram, EmbeddingSortProgram } from './program.js';

function embeddingGradWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, indices } = inputs as { dy: tf.TensorInfo; indices: tf.TensorInfo };
  const { numRows } = attrs as unknown as EmbeddingGradAttrs;
  const gpu = backend as WebGPUBackend;
  const [N, C] = dy.shape;
  if (N === 0) return gpu.makeTensorInfo([numRows, C], 'float32', new Float32Array(numRows * C));
  const perm = gpu.runWebGPUProgram(new EmbeddingSortProgram(N), [indices], 'int32'); // (N)
  const out = gpu.runWebGPUProgram(new EmbeddingGradProgram(numRows, C), [dy, indices, perm], 'float32'); // (V, C)
  gpu.disposeData(perm.dataId);
  return out;
}

export const embeddingGradWebGPUConfig: tf.KernelConfig = {
  kernelName: EMBEDDING_GRAD,
  backendName: 'webgpu',
  kernelFunc: embeddingGradWebGPU,
};
