// Causal self-attention in stock tf ops, the way model/attention.ts computes it without the fused kernel
// (nanoGPT CausalSelfAttention): split qkv into heads, softmax(q k^T / sqrt(hs) + M) v with the additive
// causal mask M = -1e9 above the diagonal, heads merged back. The test oracle.
import * as tf from '@tensorflow/tfjs-core';

/** y (B, T, C) from qkv (B, T, 3C) laid out as [q | k | v], heads contiguous inside each. */
export function causalAttentionReference(qkv: tf.Tensor3D, nHead: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T, C3] = qkv.shape;
    const C = C3 / 3;
    const hs = C / nHead;
    const heads = tf.transpose(tf.reshape(qkv, [B, T, 3, nHead, hs]), [2, 0, 3, 1, 4]); // (3, B, H, T, hs)
    const [q, k, v] = tf.split(heads, 3, 0).map((t) => tf.reshape(t, [B, nHead, T, hs]) as tf.Tensor4D); // (B, H, T, hs) each
    const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // (T, T)
    const mask = tf.mul(tf.sub(1, lower), -1e9); // (T, T)
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), mask); // (B, H, T, T)
    const y = tf.matMul(tf.softmax(scores, -1), v); // (B, H, T, hs)
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]) as tf.Tensor3D; // (B, T, C)
  });
}
