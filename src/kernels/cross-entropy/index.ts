// Ops for the fused, vocab-chunked cross-entropy (model/loss.ts crossEntropyTrain): the target logit per row,
// and the logits' gradient from the logits and their logsumexp. One kernel each on cpu and WebGPU (stock ops
// elsewhere). Both run inside crossEntropyTrain's forward, so neither has a gradient of its own.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyGradReference, rowPickReference } from './reference.js';

export const ROW_PICK = 'NanometaRowPick';
export const CROSS_ENTROPY_GRAD = 'NanometaCrossEntropyGrad';

export interface CrossEntropyGradAttrs {
  /** Multiplies every entry (1/N for a mean over N rows). */
  scale: number;
}

function check(name: string, logits: tf.Tensor, labels: tf.Tensor): void {
  if (logits.rank !== 2) throw new TypeError(`${name}: logits must be 2-D (n, V), got shape [${logits.shape}]`);
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new TypeError(
      `${name}: labels must be int32 (n) = (${logits.shape[0]}), got ${labels.dtype} [${labels.shape}]`,
    );
  }
}

/** out[i] = logits[i, labels[i]] (0 where the label is outside [0, V)); logits (n, V), labels (n) int32 -> (n). */
export function rowPick(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  check('rowPick', logits, labels);
  if (!tf.getKernel(ROW_PICK, tf.getBackend())) return rowPickReference(logits, labels);
  return tf.engine().runKernel(ROW_PICK, { logits, labels }) as tf.Tensor1D; // (n)
}

/** out[i] = (lse[i] - logits[i, labels[i]]) * scale, row i's cross-entropy (times scale) in one kernel; -> (n). */
export function rowNll(logits: tf.Tensor2D, labels: tf.Tensor1D, lse: tf.Tensor1D, scale: number): tf.Tensor1D {
  check('rowNll', logits, labels);
  if (!tf.getKernel(ROW_PICK, tf.getBackend()))
    return tf.tidy(() => tf.mul(tf.sub(lse, rowPickReference(logits, labels)), scale));
  const attrs: CrossEntropyGradAttrs = { scale };
  return tf.engine().runKernel(ROW_PICK, { logits, labels, lse }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor1D; // (n)
}

/** dlogits (n, V) = (exp(logits - lse[:, None]) - onehot(labels)) * scale; lse (n) = rowLogSumExp(logits). */
export function crossEntropyGrad(
  logits: tf.Tensor2D,
  lse: tf.Tensor1D,
  labels: tf.Tensor1D,
  scale: number,
): tf.Tensor2D {
  check('crossEntropyGrad', logits, labels);
  if (!tf.getKernel(CROSS_ENTROPY_GRAD, tf.getBackend())) return crossEntropyGradReference(logits, lse, labels, scale);
  const attrs: CrossEntropyGradAttrs = { scale };
  return tf
    .engine()
    .runKernel(CROSS_ENTROPY_GRAD, { logits, lse, labels }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D; // (n, V)
}
