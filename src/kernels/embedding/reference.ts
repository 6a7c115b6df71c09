// Embedding lookup and its weight gradient in stock tf ops: the readable math and the test oracle.
// Forward is torch.nn.functional.embedding; backward is the scatter-add dW[v] = sum over {n : idx[n] = v} of dy[n].
import * as tf from '@tensorflow/tfjs-core';

/** out[b, t, :] = weight[idx[b, t], :]. */
export function embeddingReference(weight: tf.Tensor2D, idx: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = idx.shape;
  const C = weight.shape[1];
  return tf.tidy(() => tf.reshape(tf.gather(weight, tf.reshape(idx, [B * T])), [B, T, C])); // (B, T, C)
}

/** dW (V, C) from dy (N, C) and int32 ids (N): tfjs's own gradient of gather. */
export function embeddingGradReference(dy: tf.Tensor2D, idx: tf.Tensor1D, V: number): tf.Tensor2D {
  return tf.unsortedSegmentSum(dy, idx, V); // (V, C)
}
