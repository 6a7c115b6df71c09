// Token-embedding ops: embedding, out[b, t, :] = weight[idx[b, t], :] (torch.nn.functional.embedding), whose weight
// gradient is the scatter-add kernel NanometaEmbeddingGrad (cpu loop, WebGPU sort + segmented sum); and
// embedPositions, GPT-2's input embedding x = wte[idx] + wpe[t] in one kernel, NanometaEmbedPositions, that also
// hands the tied token table on, [wte, x]. The LM head then reads the handed-on wte, so wte has one consumer and its
// two gradients (the scatter-add of dx and the LM head's dW) are summed inside NanometaEmbeddingGrad (input dres),
// not by an Add over (V, C); the positions' gradient is one column sum over the batch (kernels/linear).
import * as tf from '@tensorflow/tfjs-core';
import { columnSum } from '../linear/index.js';
import { embeddingGradReference, embeddingReference } from './reference.js';

export const EMBEDDING_GRAD = 'NanometaEmbeddingGrad';
export const EMBED_POSITIONS = 'NanometaEmbedPositions';

export interface EmbeddingGradAttrs {
  /** V: rows of the embedding table. */
  numRows: number;
}

export interface EmbedPositionsAttrs {
  /** Positions per sequence: row n of the output adds position n % T. */
  T: number;
}

/**
 * dW (V, C) = scatter-add of dy (N, C) rows at int32 ids (N). Runs the custom kernel where the active
 * backend has one (cpu, webgpu) and tfjs's unsortedSegmentSum elsewhere (tensorflow, which is fast at it).
 */
export function embeddingGrad(dy: tf.Tensor2D, idx: tf.Tensor1D, V: number): tf.Tensor2D {
  if (idx.dtype !== 'int32') throw new TypeError(`embeddingGrad: ids must be int32, got ${idx.dtype}`);
  if (!tf.getKernel(EMBEDDING_GRAD, tf.getBackend())) return embeddingGradReference(dy, idx, V);
  const attrs: EmbeddingGradAttrs = { numRows: V };
  return tf
    .engine()
    .runKernel(EMBEDDING_GRAD, { dy, indices: idx }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
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

/** d weight = scatter-add of dx + the handed-on weight's gradient (one kernel); d pos = sum of dx over the batch. */
const embedPositionsGradConfig: tf.GradConfig = {
  kernelName: EMBED_POSITIONS,
  inputsToSave: ['weight', 'pos', 'indices'],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [dres, dx] = dys as tf.Tensor[]; // tfjs passes zeros for an output no gradient reached
    const [weight, pos, indices] = saved;
    const { T } = attrs as unknown as EmbedPositionsAttrs;
    const [P, C] = pos.shape;
    const B = indices.shape[0] / T;
    const gradAttrs: EmbeddingGradAttrs = { numRows: weight.shape[0] };
    return {
      weight: () =>
        tf
          .engine()
          .runKernel(EMBEDDING_GRAD, { dy: dx, indices, dres }, gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor,
      pos: () => {
        const dpos = tf.reshape(columnSum(tf.reshape(dx, [B, T * C]) as tf.Tensor2D), [T, C]); // (T, C)
        return T === P
          ? dpos
          : tf.pad(dpos, [
              [0, P - T],
              [0, 0],
            ]); // (P, C)
      },
    };
  },
};

/** Gradients of this folder's multi-output kernels (customGrad handles one output only), for kernels/register.ts. */
export const embeddingGradients: tf.GradConfig[] = [embedPositionsGradConfig];

/**
 * [weight, x] with x (B*T, C) = weight[idx] + pos[t] for int32 ids idx (B, T), weight (V, C), pos (P >= T, C): use
 * the returned weight for the tied LM head. Falls back to the stock ops (weight itself, a gather and an add).
 */
export function embedPositions(weight: tf.Tensor2D, pos: tf.Tensor2D, idx: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const [B, T] = idx.shape;
  const [V, C] = weight.shape;
  if (idx.dtype !== 'int32') throw new TypeError(`embedPositions: ids must be int32, got ${idx.dtype}`);
  if (pos.rank !== 2 || pos.shape[1] !== C || pos.shape[0] < T)
    throw new TypeError(`embedPositions: pos [${pos.shape}] must be (>= ${T}, ${C})`);
  const backend = tf.getBackend();
  if (B * T === 0 || V === 0 || !tf.getKernel(EMBED_POSITIONS, backend) || !tf.getKernel(EMBEDDING_GRAD, backend)) {
    const p = T === pos.shape[0] ? pos : tf.slice(pos, [0, 0], [T, C]); // (T, C)
    return [weight, tf.reshape(tf.add(embeddingReference(weight, idx), p), [B * T, C]) as tf.Tensor2D];
  }
  const attrs: EmbedPositionsAttrs = { T };
  const indices = tf.reshape(idx, [B * T]); // (N)
  return tf.engine().runKernel(EMBED_POSITIONS, { weight, pos, indices }, attrs as unknown as tf.NamedAttrMap) as [
    tf.Tensor2D,
    tf.Tensor2D,
  ];
}
