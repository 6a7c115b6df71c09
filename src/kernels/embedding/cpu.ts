// cpu kernels for NanometaEmbeddingGrad, the scatter-add dW[idx[n], :] += dy[n, :] as one pass over typed arrays
// (tfjs cpu's UnsortedSegmentSum loops over every segment, O(V·N·C); this is O(N·C)), and NanometaEmbedPositions.
import type * as tf from '@tensorflow/tfjs-core';
import { passThrough } from '../pass-through.js';
import { EMBED_POSITIONS, EMBEDDING_GRAD, type EmbeddingGradAttrs, type EmbedPositionsAttrs } from './index.js';

/** x (N, C) = weight[idx[n]] + pos[n % T]; ids outside [0, V) add nothing (the position alone). */
export function embedPositionsLoop(
  weight: Float32Array,
  pos: Float32Array,
  idx: Int32Array,
  V: number,
  C: number,
  T: number,
): Float32Array {
  const out = new Float32Array(idx.length * C);
  for (let n = 0; n < idx.length; n++) {
    const v = idx[n];
    const p = (n % T) * C;
    for (let c = 0; c < C; c++) out[n * C + c] = (v >= 0 && v < V ? weight[v * C + c] : 0) + pos[p + c];
  }
  return out;
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
  const { dy, indices, dres } = inputs as { dy: tf.TensorInfo; indices: tf.TensorInfo; dres?: tf.TensorInfo };
  const { numRows } = attrs as unknown as EmbeddingGradAttrs;
  const C = dy.shape[1];
  const g = backend.readSync(dy.dataId) as Float32Array; // (N, C)
  const ix = backend.readSync(indices.dataId) as Int32Array; // (N)
  const shape = [numRows, C];
  const out = embeddingGradLoop(g, ix, numRows, C);
  if (dres) {
    // the tied weight's other gradient (embedPositions in index.ts)
    const r = backend.readSync(dres.dataId) as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] += r[i];
  }
  return { dataId: backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
}

/** [weight itself (a second handle, as tfjs's Identity), x (N, C) = weight[indices] + pos[n % T]]. */
function embedPositionsCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const backend = kernelBackend as tf.KernelBackend;
  const { weight, pos, indices } = inputs as { weight: tf.TensorInfo; pos: tf.TensorInfo; indices: tf.TensorInfo };
  const { T } = attrs as unknown as EmbedPositionsAttrs;
  const [V, C] = weight.shape;
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId);
  const x = embedPositionsLoop(
    read(weight) as Float32Array,
    read(pos) as Float32Array,
    read(indices) as Int32Array,
    V,
    C,
    T,
  );
  const shape = [indices.shape[0], C];
  return [passThrough(backend, weight), { dataId: backend.write(x, shape, 'float32'), shape, dtype: 'float32' }];
}

export const cpuKernels: tf.KernelConfig[] = [
  { kernelName: EMBEDDING_GRAD, backendName: 'cpu', kernelFunc: embeddingGradCpu },
  { kernelName: EMBED_POSITIONS, backendName: 'cpu', kernelFunc: embedPositionsCpu },
];
