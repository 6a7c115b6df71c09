// Token-embedding op: out[b, t, :] = weight[idx[b, t], :] (torch.nn.functional.embedding), whose weight
// gradient is the custom scatter-add kernel NanometaEmbeddingGrad (cpu loop, WebGPU sort + segmented sum).
import * as tf from '@tensorflow/tfjs-core';
import { EMBEDDING_GRAD, type EmbeddingGradAttrs } from './cpu.js';
import { embeddingGradReference } from './reference.js';

/**
 * dW (V, C) = scatter-add of dy (N, C) rows at int32 ids (N). Runs the custom kernel where the active
 * backend has one (cpu, webgpu) and tfjs's unsortedSegmentSum elsewhere (tensorflow, which is fast at it).
 */
export function embeddingGrad(dy: tf.Tensor2D, idx: tf.Tensor1D, V: number): tf.Tensor2D {
  if (idx.dtype !== 'int32') throw new TypeError(`embeddingGrad: ids must be int32, got ${idx.dtype}`);
  if (!tf.getKernel(EMBEDDING_GRAD, tf.getBackend())) return embeddingGradReference(dy, idx, V);
  const attrs: EmbeddingGradAttrs = { numRows: V };
  return tf.engine().runKernel(EMBEDDING_GRAD, { dy, indices: idx }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

const embeddingOp = tf.customGrad(((weight: tf.Tensor2D, idx: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const [B, T] = idx.shape;
  const [V, C] = weight.shape;
  save([idx]);
  const value = tf.reshape(tf.gather(weight, tf.reshape(idx, [B * T])), [B, T, C]) as tf.Tensor3D; // (B, T, C)
  const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
    const ids = tf.reshape(saved[0], [B * T]) as tf.Tensor1D; // (N)
    const dW = embeddingGrad(tf.reshape(dy, [B * T, C]) as tf.Tensor2D, ids, V); // (V, C)
    // customGrad wants a gradient per input; ids are not differentiable, so theirs is zero.
    return [dW, tf.zeros(idx.shape)];
  };
  return { value, gradFunc };
}) as never) as (weight: tf.Tensor2D, idx: tf.Tensor2D) => tf.Tensor3D;

/** Looks up rows of `weight` (V, C) for int32 token ids `idx` (B, T); returns (B, T, C). */
export function embedding(weight: tf.Tensor2D, idx: tf.Tensor2D): tf.Tensor3D {
  if (idx.dtype !== 'int32') throw new TypeError(`embedding: ids must be int32, got ${idx.dtype}`);
  return embeddingOp(weight, idx);
}
