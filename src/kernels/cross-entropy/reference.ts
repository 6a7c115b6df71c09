// The fused cross-entropy's two kernels in stock tf ops (the readable math and the test oracle):
// the target logit x[i, y[i]], and d(mean CE)/dx = (softmax(x) - onehot(y)) * scale (torch's cross_entropy backward).
import * as tf from '@tensorflow/tfjs-core';

/** out[i] = x[i, y[i]]; x (n, V), y (n) int32 -> (n). */
export function rowPickReference(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(logits, tf.oneHot(labels, logits.shape[1])), 1)); // (n)
}

/** dx (n, V) = (exp(x - lse[:, None]) - onehot(y)) * scale. */
export function crossEntropyGradReference(
  logits: tf.Tensor2D,
  lse: tf.Tensor1D,
  labels: tf.Tensor1D,
  scale: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const p = tf.exp(tf.sub(logits, tf.expandDims(lse, 1))); // (n, V)
    return tf.mul(tf.sub(p, tf.oneHot(labels, logits.shape[1])), scale);
  });
}
