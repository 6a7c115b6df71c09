// GELU, tanh approximation, in stock tf ops (GPT-2; torch.nn.functional.gelu(x, approximate='tanh')):
// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The readable math and the oracle for the fused kernels.
import * as tf from '@tensorflow/tfjs-core';

export function geluReference(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}
