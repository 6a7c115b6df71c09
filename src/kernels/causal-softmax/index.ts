// Fused causal softmax for attention scores: softmax_j(scale * s[..., i, j]) over j <= i, exactly 0 for j > i,
// one kernel forward and one backward (dx = scale * y * (dy - sum_j dy*y)) on cpu and WebGPU; stock ops elsewhere.
// Replaces scale, additive -1e9 mask and softmax in nanoGPT's CausalSelfAttention (model/attention.ts).
import * as tf from '@tensorflow/tfjs-core';
import { causalSoftmaxReference } from './reference.js';

export const CAUSAL_SOFTMAX = 'NanometaCausalSoftmax';
export const CAUSAL_SOFTMAX_GRAD = 'NanometaCausalSoftmaxGrad';

export interface CausalSoftmaxAttrs {
  /** Multiplies the scores before the softmax (1/sqrt(hs) in attention). */
  scale: number;
}

function fusedCausalSoftmax<R extends tf.Rank>(scores: tf.Tensor<R>, scale: number): tf.Tensor<R> {
  const attrs = { scale } satisfies CausalSoftmaxAttrs as unknown as tf.NamedAttrMap;
  const op = tf.customGrad(((x: tf.Tensor<R>, save: tf.GradSaveFunc) => {
    const value = tf.engine().runKernel(CAUSAL_SOFTMAX, { x }, attrs) as tf.Tensor<R>; // (..., T, T)
    save([value]);
    const gradFunc = (dy: tf.Tensor<R>, saved: tf.Tensor[]) =>
      tf.engine().runKernel(CAUSAL_SOFTMAX_GRAD, { dy, y: saved[0] }, attrs) as tf.Tensor<R>; // (..., T, T)
    return { value, gradFunc };
  }) as never) as (x: tf.Tensor<R>) => tf.Tensor<R>;
  return op(scores);
}

/** Causal softmax over the last axis of float32 scores (..., T, T), scaled by `scale` first. */
export function causalSoftmax<R extends tf.Rank>(scores: tf.Tensor<R>, scale: number): tf.Tensor<R> {
  const [T1, T] = scores.shape.slice(-2);
  if (scores.rank < 2 || T1 !== T)
    throw new TypeError(`causalSoftmax: scores must be (..., T, T), got shape [${scores.shape}]`);
  if (scores.dtype !== 'float32') throw new TypeError(`causalSoftmax: scores must be float32, got ${scores.dtype}`);
  const backend = tf.getBackend();
  if (!tf.getKernel(CAUSAL_SOFTMAX, backend) || !tf.getKernel(CAUSAL_SOFTMAX_GRAD, backend)) {
    return causalSoftmaxReference(scores, scale);
  }
  return fusedCausalSoftmax(scores, scale);
}
