// Chunked LM head + cross-entropy. loss = mean_i( logsumexp(h_i W^T) - h_i . W[y_i] ): the target logit is
// a row dot product with the gathered embedding row, so no one-hot (N, V) tensor is ever built. The
// logsumexp term runs over row chunks whose logits stay under `chunkBytes` (WebGPU cannot bind > 2 GiB).
// Training uses crossEntropyTrain: each chunk's logits are computed once and its gradients (dh, dW) are made
// right there in the forward pass (like Liger / llm.c fused CE), so the backward only scales them by dy.
// Evaluation uses crossEntropyLoss, whose custom gradient recomputes each chunk's logits instead.
import * as tf from '@tensorflow/tfjs-core';
import { embedding } from '../kernels/embedding/index.js';
import { rowLogSumExp } from '../kernels/logsumexp/index.js';
import { crossEntropyGrad, rowNll } from '../kernels/cross-entropy/index.js';
import { maxBindingBytes } from '../kernels/limits.js';

/** Rows per chunk so that one chunk of fp32 logits (rows, V) stays within chunkBytes and the backend's binding limit. */
export function chunkRows(V: number, chunkBytes: number): number {
  return Math.max(1, Math.floor(Math.min(chunkBytes, maxBindingBytes()) / (V * 4)));
}

/** [start, n] row ranges of at most `rows` rows, as even as possible (4 × 4096, not 3 × 5336 + 376). */
function chunks(N: number, rows: number): Array<[number, number]> {
  const size = Math.ceil(N / Math.ceil(N / rows));
  const out: Array<[number, number]> = [];
  for (let start = 0; start < N; start += size) out.push([start, Math.min(size, N - start)]);
  return out;
}

/** Sum over rows of logsumexp(h W^T); h (N, C), W (V, C). Gradient: dh = softmax W, dW = softmax^T h. */
export function logSumExpSum(h: tf.Tensor2D, W: tf.Tensor2D, chunkBytes: number): tf.Scalar {
  const rows = chunkRows(W.shape[0], chunkBytes);
  const op = tf.customGrad(((hIn: tf.Tensor, WIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const hh = hIn as tf.Tensor2D,
      WW = WIn as tf.Tensor2D;
    const [N, C] = hh.shape;
    save([hh, WW]);
    let total: tf.Tensor = tf.scalar(0);
    for (const [start, n] of chunks(N, rows)) {
      const next = tf.tidy(() =>
        tf.add(total, tf.sum(rowLogSumExp(tf.matMul(tf.slice(hh, [start, 0], [n, C]), WW, false, true)))),
      );
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
        dW.dispose();
        p.dispose();
        hc.dispose();
        dW = next;
      }
      const dh = dhParts.length === 1 ? dhParts[0] : tf.concat(dhParts, 0);
      if (dhParts.length > 1) dhParts.forEach((t) => t.dispose());
      const scale = dy as tf.Scalar;
      const out = [tf.mul(dh, scale), tf.mul(dW, scale)];
      dh.dispose();
      dW.dispose();
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

/** One chunk's loss sum (times scale) and gradients; dWIn (V, C) is the running dW, added inside the dW GEMM when given. */
function trainChunk(hc: tf.Tensor2D, W: tf.Tensor2D, yc: tf.Tensor1D, scale: number, dWIn: tf.Tensor2D | null) {
  return tf.tidy(() => {
    const logits = tf.matMul(hc, W, false, true) as tf.Tensor2D; // (n, V)
    const lse = rowLogSumExp(logits); // (n)
    const nll = rowNll(logits, yc, lse, scale); // (n): (lse - target logit) * scale
    const dlogits = crossEntropyGrad(logits, lse, yc, scale); // (n, V)
    logits.dispose(); // up to chunkBytes: free it before the two GEMMs
    const dh = tf.matMul(dlogits, W); // (n, C)
    const dW =
      dWIn === null
        ? tf.matMul(dlogits, hc, true, false)
        : tf.fused.matMul({ a: dlogits, b: hc, transposeA: true, bias: dWIn }); // (V, C): the addition inside the GEMM
    dlogits.dispose();
    return { loss: tf.sum(nll) as tf.Scalar, dh: dh as tf.Tensor2D, dW: dW as tf.Tensor2D };
  });
}

/**
 * crossEntropyLoss for training: the same value, with the LM head's gradients computed in the forward pass
 * from each chunk's logits (one logits GEMM per chunk instead of two, no softmax, no gather/scatter for the
 * target term), as in Liger's fused linear cross-entropy. dh (N, C) and dW (V, C) are kept for the backward,
 * which only scales them by dy; without a gradient tape they are computed and dropped.
 */
export function crossEntropyTrain(h: tf.Tensor2D, W: tf.Tensor2D, y: tf.Tensor1D, chunkBytes: number): tf.Scalar {
  if (y.dtype !== 'int32') throw new TypeError(`crossEntropyTrain: targets must be int32, got ${y.dtype}`);
  const rows = chunkRows(W.shape[0], chunkBytes);
  // y is closed over, not an input: customGrad then wants gradients for h and W only.
  const op = tf.customGrad(((hIn: tf.Tensor, WIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const hh = hIn as tf.Tensor2D,
      WW = WIn as tf.Tensor2D;
    const [N, C] = hh.shape;
    let total: tf.Scalar | null = null;
    let dW: tf.Tensor2D | null = null;
    const dhParts: tf.Tensor2D[] = [];
    for (const [start, n] of chunks(N, rows)) {
      const whole = n === N;
      const hc = whole ? hh : tf.slice(hh, [start, 0], [n, C]); // (n, C)
      const yc = whole ? y : tf.slice(y, [start], [n]); // (n)
      const part = trainChunk(hc, WW, yc, 1 / N, dW);
      if (!whole) {
        hc.dispose();
        yc.dispose();
      }
      dW?.dispose();
      dW = part.dW;
      dhParts.push(part.dh);
      if (total === null) total = part.loss;
      else {
        const next = tf.add(total, part.loss) as tf.Scalar;
        total.dispose();
        part.loss.dispose();
        total = next;
      }
    }
    const dh = dhParts.length === 1 ? dhParts[0] : tf.concat(dhParts, 0); // (N, C)
    save([dh, dW!]); // saved as clones: the forward's tidy frees these
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [
      tf.mul(saved[0], dy as tf.Scalar),
      tf.mul(saved[1], dy as tf.Scalar),
    ];
    return { value: total!, gradFunc }; // the rows' losses were scaled by 1/N in rowNll
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(h, W) as tf.Scalar;
}

/** Readable unchunked reference (full logits, one-hot): the oracle for tests only. */
export function referenceCrossEntropy(h: tf.Tensor2D, W: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const logits = tf.matMul(h, W, false, true); // (N, V)
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y, W.shape[0]), logits) as tf.Scalar;
}
