// cpu kernel for NanometaEmbeddingGrad: the scatter-add dW[idx[n], :] += dy[n, :] as one pass over typed arrays.
// Replaces tfjs cpu's UnsortedSegmentSum, which loops over every segment (O(V·N·C)); this is O(N·C).
import type * as tf from '@tensorflow/tfjs-core';

export const EMBEDDING_GRAD = 'NanometaEmbeddingGrad';

export interface EmbeddingGradAttrs {
  /** V: rows of the embedding table. */
  numRows: number;
}

/** Sums rows of dy (N, C) into (V, C) by id; ids outside [0, V) are skipped, as in unsortedSegmentSum. */
export function embeddingGradLoop(dy: Float32Array, idx: Int32Array, V: number, C: number): Float32Array {
  const out = new Float32Array(V * C); // (V, C)
  const N = idx.length;
  for (let n = 0; n < N; n++) {
    const v = idx[n];
    if (v < 0 || v >= V) continue;
    const o = v * C;
    const s = n * C;
    for (let c = 0; c < C; c++) out[o + c] += dy[s + c];
  }
  return out;
}

function embeddingGradCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { dy, indices } = inputs as { dy: tf.TensorInfo; indices: tf.TensorInfo };
  const { numRows } = attrs as unknown as EmbeddingGradAttrs;
  const C = dy.shape[1];
  const g = backend.readSync(dy.dataId) as Float32Array; // (N, C)
  const ix = backend.readSync(indices.dataId) as Int32Array; // (N)
  const shape = [numRows, C];
  return { dataId: backend.write(embeddingGradLoop(g, ix, numRows, C), shape, 'float32'), shape, dtype: 'float32' };
}

export const embeddingGradCpuConfig: tf.KernelConfig = {
  kernelName: EMBEDDING_GRAD,
  backendName: 'cpu',
  kernelFunc: embeddingGradCpu,
};
