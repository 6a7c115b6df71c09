// Causal softmax in stock tf ops, the way attention computed it before the fused kernel:
// softmax(scale * s + M) over the last axis with the additive mask M = -1e9 above the diagonal. The test oracle.
import * as tf from '@tensorflow/tfjs-core';

/** softmax_j(scale * s[..., i, j]) over j <= i, (numerically) 0 for j > i; s (..., T, T). */
export function causalSoftmaxReference<R extends tf.Rank>(scores: tf.Tensor<R>, scale: number): tf.Tensor<R> {
  return tf.tidy(() => {
    const T = scores.shape[scores.rank - 1];
    const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // (T, T)
    const mask = tf.mul(tf.sub(1, lower), -1e9); // (T, T)
    return tf.softmax(tf.add(tf.mul(scores, scale), mask), -1) as tf.Tensor<R>; // (..., T, T)
  });
}
