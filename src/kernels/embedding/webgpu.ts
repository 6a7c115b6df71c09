// WebGPU kernel for NanometaEmbeddingGrad: sort positions by id, find each id's run, then sum each run (plus the
// tied weight's other gradient when given). Three dispatches, no float atomics, bit-for-bit the cpu loop's order.
// And NanometaEmbedPositions' forward (embedPositions in index.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { passThrough } from '../pass-through.js';
import { EMBED_POSITIONS, EMBEDDING_GRAD, type EmbedPositionsAttrs, type EmbeddingGradAttrs } from './index.js';
import {
  EmbedPositionsProgram,
  EmbeddingGradProgram,
  EmbeddingSortProgram,
  EmbeddingStartsProgram,
} from './program.js';

function embeddingGradWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, indices, dres } = inputs as { dy: tf.TensorInfo; indices: tf.TensorInfo; dres?: tf.TensorInfo };
  const { numRows } = attrs as unknown as EmbeddingGradAttrs;
  const gpu = backend as WebGPUBackend;
  const [N, C] = dy.shape;
  if (N === 0 && dres) return passThrough(gpu, dres);
  if (N === 0) return gpu.makeTensorInfo([numRows, C], 'float32', new Float32Array(numRows * C));
  const perm = gpu.runWebGPUProgram(new EmbeddingSortProgram(N), [indices], 'int32'); // (N)
  const starts = gpu.runWebGPUProgram(new EmbeddingStartsProgram(numRows), [indices, perm], 'int32'); // (V + 1)
  const gradInputs = dres ? [dy, starts, perm, dres] : [dy, starts, perm];
  const out = gpu.runWebGPUProgram(new EmbeddingGradProgram(numRows, C, dres !== undefined), gradInputs, 'float32'); // (V, C)
  gpu.disposeData(perm.dataId);
  gpu.disposeData(starts.dataId);
  return out;
}

/** [weight itself, x (N, C) = weight[indices] + pos[n % T]]: one dispatch (a gather and an add in tfjs's ops). */
function embedPositionsWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { weight, pos, indices } = inputs as { weight: tf.TensorInfo; pos: tf.TensorInfo; indices: tf.TensorInfo };
  const { T } = attrs as unknown as EmbedPositionsAttrs;
  const gpu = backend as WebGPUBackend;
  const x = gpu.runWebGPUProgram(
    new EmbedPositionsProgram(indices.shape[0], weight.shape[1]),
    [weight, pos, indices],
    'float32',
    [{ type: 'int32', data: [T] }],
  ); // (N, C)
  return [passThrough(gpu, weight), x];
}

export const webgpuKernels: tf.KernelConfig[] = [
  { kernelName: EMBEDDING_GRAD, backendName: 'webgpu', kernelFunc: embeddingGradWebGPU },
  { kernelName: EMBED_POSITIONS, backendName: 'webgpu', kernelFunc: embedPositionsWebGPU },
];
