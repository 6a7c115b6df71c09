// Chunked LM head + cross-entropy. loss = mean_i( logsumexp(h_i W^T) - h_i . W[y_i] ): the target logit is
// a row dot product with the gathered embedding row, so no one-hot (N, V) tensor is ever built. The
// logsumexp term runs over row chunks whose logits stay under `chunkBytes` (WebGPU cannot bind > 2 GiB)
// and its custom gradient recomputes each chunk's logits instead of keeping them (like Liger/llm.c fused CE).
import * as tf from '@tensorflow/tfjs-core';
import { embedding } from '../kernels/embedding/index.js';
import { rowLogSumExp } from '../kernels/logsumexp/index.js';

/** Rows per chunk so that one chunk of fp32 logits (rows, V) stays within chunkBytes. */
export function chunkRows(V: number, chunkBytes: number): number {
  return Math.max(1, Math.floor(chunkBytes / (V * 4)));
}

function chunks(N: number, rows: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < N; start += rows) out.push([start, Math.min(rows, N - start)]);
  return out;
}

/** Sum over rows of logsumexp(h W^T); h (N, C), W (V, C). Gradient: dh = softmax W, dW = softmax^T h. */
export function logSumExpSum(h: tf.Tensor2D, W: tf.Tensor2D, chunkBytes: number): tf.Scalar {
  const rows = chunkRows(W.shape[0], chunkBytes);
  const op = tf.customGrad(((hIn: tf.Tensor, WIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const hh = hIn as tf.Tensor2D, WW = WIn as tf.Tensor2D;
    const [N, C] = hh.shape;
    save([hh, WW]);
    let total: tf.Tensor = tf.scalar(0);
    for (const [start, n] of chunks(N, rows)) {
      const next = tf.tidy(() => tf.add(total, tf.sum(rowLogSumExp(tf.matMul(tf.slice(hh, [start, 0], [n, C]), WW, false, true)))));
      total.dispose();
      total = next;
    }
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [hs, Ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dhParts: tf.Tensor[] = [];
      let dW: tf.Tensor = tf.zerosLike(Ws); // (V, C)
      for (const [start, n] of chunks(N, rows)) {
        const hc = tf.slice(hs, [start, 0], [n, C]); // (n, C)
        const p = tf.tidy(() => tf.softmax(tf.matMul(hc, Ws, false, true), -1)); // (n, V)
        dhParts.push(tf.matMul(p, Ws)); // (n, C)
        const next = tf.tidy(() => tf.add(dW, tf.matMul(p, hc, true, false))); // (V, C)
        dW.dispose(); p.dispose(); hc.dispose();
        dW = next;
      }
      const dh = dhParts.length === 1 ? dhParts[0] : tf.concat(dhParts, 0);
      if (dhParts.length > 1) dhParts.forEach((t) => t.dispose());
      const scale = dy as tf.Scalar;
      const out = [tf.mul(dh, scale), tf.mul(dW, scale)];
      dh.dispose(); dW.dispose();
      return out;
    };
    return { value: total as tf.Scalar, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(h, W) as tf.Scalar;
}

/** Mean cross-entropy of targets y (N,) int32 under logits h W^T; h (N, C), W (V, C). */
export function crossEntropyLoss(h: tf.Tensor2D, W: tf.Tensor2D, y: tf.Tensor1D, chunkBytes: number): tf.Scalar {
  const N = h.shape[0];
  const target = tf.reshape(embedding(W, tf.reshape(y, [1, N]) as tf.Tensor2D), [N, -1]); // (N, C)
  const targetLogits = tf.sum(tf.mul(h, target)); // sum_i h_i . W[y_i]
  return tf.div(tf.sub(logSumExpSum(h, W, chunkBytes), targetLogits), N) as tf.Scalar;
}

/** Readable unchunked reference (full logits, one-hot): the oracle for tests only. */
export function referenceCrossEntropy(h: tf.Tensor2D, W: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const logits = tf.matMul(h, W, false, true); // (N, V)
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y, W.shape[0]), logits) as tf.Scalar;
}
