// LayerNorm over the last axis in stock tf ops (torch.nn.functional.layer_norm with biased variance):
// y = (x - mean) / sqrt(var + eps) * weight + bias. The readable math and the oracle for the fused kernels.
import * as tf from '@tensorflow/tfjs-core';

/** x (..., C), weight (C), bias (C) or none -> (..., C). */
export function layerNormReference(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // (..., 1)
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))); // (..., C)
    const scaled = tf.mul(normed, weight);
    return bias ? tf.add(scaled, bias) : scaled;
  });
}
