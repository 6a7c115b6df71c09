// Causal multi-head self-attention (nanoGPT CausalSelfAttention): one qkv projection, softmax(QK^T/sqrt(hs)
// + causal mask) V, output projection. The mask is additive (-1e9 above the diagonal), built once per model.
import * as tf from '@tensorflow/tfjs-core';
import { linear, dropout } from './layers.js';

export interface AttentionWeights {
  qkvWeight: tf.Tensor; qkvBias?: tf.Tensor;
  projWeight: tf.Tensor; projBias?: tf.Tensor;
}

/** Additive causal mask (T, T): 0 on and below the diagonal, -1e9 above. */
export function causalMask(T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // (T, T)
    return tf.mul(tf.sub(1, lower), -1e9) as tf.Tensor2D;
  });
}

export function attention(
  x: tf.Tensor3D, w: AttentionWeights, nHead: number, mask: tf.Tensor2D, dropoutRate: number, seed?: number,
): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const hs = C / nHead;
  const qkv = linear(tf.reshape(x, [B * T, C]), w.qkvWeight, w.qkvBias); // (B*T, 3C)
  const heads = (i: number) =>
    tf.transpose(tf.reshape(tf.slice(qkv, [0, i * C], [B * T, C]), [B, T, nHead, hs]), [0, 2, 1, 3]); // (B, H, T, hs)
  const q = heads(0), k = heads(1), v = heads(2);
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), tf.slice(mask, [0, 0], [T, T])); // (B, H, T, T)
  const att = dropout(tf.softmax(scores, -1), dropoutRate, seed); // (B, H, T, T)
  const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]); // (B*T, C)
  const out = linear(y as tf.Tensor2D, w.projWeight, w.projBias); // (B*T, C)
  return tf.reshape(dropout(out, dropoutRate, seed === undefined ? undefined : seed + 1), [B, T, C]);
}
