// Row-wise logsumexp in stock tf ops: lse[i] = max_j x[i, j] + log(sum_j exp(x[i, j] - max_j x[i, j])).
// The oracle for the fused kernels (torch.logsumexp(x, dim=-1)).
import * as tf from '@tensorflow/tfjs-core';

export function rowLogSumExpReference(x: tf.Tensor2D): tf.Tensor1D {
  return tf.logSumExp(x, 1) as tf.Tensor1D; // (n)
}
