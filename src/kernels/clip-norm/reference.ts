// Stock-op gradient-clipping math of torch.nn.utils.clip_grad_norm_: the global norm from Σ x² partial sums and
// the clipping scale; the test oracle of NanometaClipNorm and the fallback on backends without it.
import * as tf from '@tensorflow/tfjs-core';

/** √(Σ partials) with maxNorm 0; else the clipping scale min(1, maxNorm / (norm + 1e-6)). A scalar. */
export function clipNormReference(partials: tf.Tensor1D, maxNorm: number): tf.Scalar {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(partials)) as tf.Scalar;
    return maxNorm > 0 ? (tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) as tf.Scalar) : norm;
  });
}
