// Small building blocks of the GPT forward pass, as in nanoGPT's model.py: LayerNorm, Linear, GELU (tanh).
import * as tf from '@tensorflow/tfjs-core';

const LN_EPS = 1e-5; // torch.nn.LayerNorm default

/** LayerNorm over the last axis; x (..., C). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS)));
  const scaled = tf.mul(normed, weight);
  return bias ? tf.add(scaled, bias) : scaled;
}

/** y = x W^T + b with PyTorch's (out, in) weight layout; x (N, in) -> (N, out). */
export function linear(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(x, weight as tf.Tensor2D, false, true) as tf.Tensor2D; // (N, out)
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}

/** GELU, tanh approximation (GPT-2; torch gelu(approximate='tanh')). */
export function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

export function dropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  return rate > 0 && seed !== undefined ? tf.dropout(x, rate, undefined, seed) : x;
}
