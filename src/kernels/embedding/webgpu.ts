// WebGPU kernel for NanometaEmbeddingGrad: sort positions by id, find each id's run, then sum each run.
// Three dispatches, no float atomics, bit-for-bit the cpu loop's summation order.
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { EMBEDDING_GRAD, type EmbeddingGradAttrs } from './cpu.js';
import { EmbeddingGradProgram, EmbeddingSortProgram, EmbeddingStartsProgram } from './program.js';

function embeddingGradWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, indices } = inputs as { dy: tf.TensorInfo; indices: tf.TensorInfo };
  const { numRows } = attrs as unknown as EmbeddingGradAttrs;
  const gpu = backend as WebGPUBackend;
  const [N, C] = dy.shape;
  if (N === 0) return gpu.makeTensorInfo([numRows, C], 'float32', new Float32Array(numRows * C));
  const perm = gpu.runWebGPUProgram(new EmbeddingSortProgram(N), [indices], 'int32'); // (N)
  const starts = gpu.runWebGPUProgram(new EmbeddingStartsProgram(numRows), [indices, perm], 'int32'); // (V + 1)
  const out = gpu.runWebGPUProgram(new EmbeddingGradProgram(numRows, C), [dy, starts, perm], 'float32'); // (V, C)
  gpu.disposeData(perm.dataId);
  gpu.disposeData(starts.dataId);
  return out;
}

export const embeddingGradWebGPUConfig: tf.KernelConfig = {
  kernelName: EMBEDDING_GRAD,
  backendName: 'webgpu',
  kernelFunc: embeddingGradWebGPU,
};
