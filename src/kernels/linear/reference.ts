// A linear layer in stock tf ops (torch.nn.functional.linear plus an optional residual): y = x W^T + b + r;
// and the column sum of its bias gradient. The oracle for the fused kernels.
import * as tf from '@tensorflow/tfjs-core';

export function linearReference(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias?: tf.Tensor1D,
  residual?: tf.Tensor2D,
): tf.Tensor2D {
  let y = tf.matMul(x, weight, false, true) as tf.Tensor2D; // (N, out)
  if (bias) y = tf.add(y, bias);
  if (residual) y = tf.add(y, residual);
  return y;
}

export function columnSumReference(x: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(x, 0) as tf.Tensor1D; // (C)
}
