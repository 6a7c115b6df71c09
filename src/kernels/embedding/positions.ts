// NanometaEmbedPositions: GPT-2's input embedding x = wte[idx] + wpe[t] in one kernel, that also hands the tied
// token table on, [wte, x]. The LM head then reads the handed-on wte, so wte has one consumer and its two gradients
// (the scatter-add of dx and the LM head's dW) are summed inside NanometaEmbeddingGrad (input dres), not by an
// Add over (V, C); the positions' gradient is one column sum over the batch (kernels/linear).
import * as tf from '@tensorflow/tfjs-core';
import { columnSum } from '../linear/index.js';
import { EMBEDDING_GRAD, embedPositionsCpu, type EmbedPositionsAttrs, type EmbeddingGradAttrs } from './cpu.js';
import { embeddingReference } from './reference.js';
import { embedPositionsWebGPU } from './webgpu.js';

export const EMBED_POSITIONS = 'NanometaEmbedPositions';

export const embedPositionsCpuConfig: tf.KernelConfig = { kernelName: EMBED_POSITIONS, backendName: 'cpu', kernelFunc: embedPositionsCpu };
export const embedPositionsWebGPUConfig: tf.KernelConfig = { kernelName: EMBED_POSITIONS, backendName: 'webgpu', kernelFunc: embedPositionsWebGPU };

/** d weight = scatter-add of dx + the handed-on weight's gradient (one kernel); d pos = sum of dx over the batch. */
export const embedPositionsGradConfig: tf.GradConfig = {
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
      weight: () => tf.engine().runKernel(EMBEDDING_GRAD, { dy: dx, indices, dres }, gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor,
      pos: () => {
        const dpos = tf.reshape(columnSum(tf.reshape(dx, [B, T * C]) as tf.Tensor2D), [T, C]); // (T, C)
        return T === P ? dpos : tf.pad(dpos, [[0, P - T], [0, 0]]); // (P, C)
      },
    };
  },
};

/** Registers the kernels and the gradient (called by registerKernels; safe to call more than once). */
export function registerEmbedPositions(): void {
  for (const config of [embedPositionsCpuConfig, embedPositionsWebGPUConfig]) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
  if (!tf.getGradient(EMBED_POSITIONS)) tf.registerGradient(embedPositionsGradConfig);
}

/**
 * [weight, x] with x (B*T, C) = weight[idx] + pos[t] for int32 ids idx (B, T), weight (V, C), pos (P >= T, C): use
 * the returned weight for the tied LM head. Falls back to the stock ops (weight itself, a gather and an add).
 */
export function embedPositions(weight: tf.Tensor2D, pos: tf.Tensor2D, idx: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const [B, T] = idx.shape;
  const [V, C] = weight.shape;
  if (idx.dtype !== 'int32') throw new TypeError(`embedPositions: ids must be int32, got ${idx.dtype}`);
  if (pos.rank !== 2 || pos.shape[1] !== C || pos.shape[0] < T) throw new TypeError(`embedPositions: pos [${pos.shape}] must be (>= ${T}, ${C})`);
  const backend = tf.getBackend();
  if (B * T === 0 || V === 0 || !tf.getKernel(EMBED_POSITIONS, backend) || !tf.getKernel(EMBEDDING_GRAD, backend)) {
    const p = T === pos.shape[0] ? pos : tf.slice(pos, [0, 0], [T, C]); // (T, C)
    return [weight, tf.reshape(tf.add(embeddingReference(weight, idx), p), [B * T, C]) as tf.Tensor2D];
  }
  const attrs: EmbedPositionsAttrs = { T };
  const indices = tf.reshape(idx, [B * T]); // (N)
  return tf.engine().runKernel(EMBED_POSITIONS, { weight, pos, indices }, attrs as unknown as tf.NamedAttrMap) as [tf.Tensor2D, tf.Tensor2D];
}
