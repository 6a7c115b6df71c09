// Row-wise logsumexp op lse (n) of x (n, V), fused into one kernel on cpu and WebGPU (stock ops elsewhere).
// For the chunked cross-entropy's forward (model/loss.ts), whose custom gradient never differentiates it;
// its own gradient, softmax(x) * dy, is there for completeness.
import * as tf from '@tensorflow/tfjs-core';
import { rowLogSumExpReference } from './reference.js';

export const ROW_LOGSUMEXP = 'NanometaRowLogSumExp';

const rowLogSumExpOp = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x]);
  const value = tf.engine().runKernel(ROW_LOGSUMEXP, { x }) as tf.Tensor1D; // (n)
  const gradFunc = (dy: tf.Tensor1D, saved: tf.Tensor[]) => tf.mul(tf.softmax(saved[0]), tf.expandDims(dy, 1)); // (n, V)
  return { value, gradFunc };
}) as never) as (x: tf.Tensor2D) => tf.Tensor1D;

/** lse[i] = log(sum_j exp(x[i, j])), computed stably; x (n, V) float32 -> (n). */
export function rowLogSumExp(x: tf.Tensor2D): tf.Tensor1D {
  if (x.rank !== 2) throw new TypeError(`rowLogSumExp: x must be 2-D (n, V), got shape [${x.shape}]`);
  if (!tf.getKernel(ROW_LOGSUMEXP, tf.getBackend())) return rowLogSumExpReference(x);
  return rowLogSumExpOp(x);
}
