// Causal multi-head self-attention (nanoGPT CausalSelfAttention): one qkv projection, causal softmax(QK^T/sqrt(hs)) V,
// output projection. Scale, causal mask and softmax are one fused kernel (kernels/causal-softmax).
import * as tf from '@tensorflow/tfjs-core';
import { causalSoftmax } from '../kernels/causal-softmax/index.js';
import { linear, dropout } from './layers.js';

export interface AttentionWeights {
  qkvWeight: tf.Tensor; qkvBias?: tf.Tensor;
  projWeight: tf.Tensor; projBias?: tf.Tensor;
}

export function attention(
  x: tf.Tensor3D, w: AttentionWeights, nHead: number, dropoutRate: number, seed?: number,
): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const hs = C / nHead;
  const qkv = linear(tf.reshape(x, [B * T, C]), w.qkvWeight, w.qkvBias); // (B*T, 3C)
  // One transpose for q, k and v together, then a split whose gradient is one concat (three slices would
  // need three transposes forward and three pads plus two adds backward).
  const heads = tf.transpose(tf.reshape(qkv, [B, T, 3, nHead, hs]), [2, 0, 3, 1, 4]); // (3, B, H, T, hs)
  const [q, k, v] = tf.split(heads, 3, 0).map((t) => tf.reshape(t, [B, nHead, T, hs]) as tf.Tensor4D); // (B, H, T, hs) each
  const att = dropout(causalSoftmax(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), dropoutRate, seed); // (B, H, T, T)
  const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]); // (B*T, C)
  const out = linear(y as tf.Tensor2D, w.projWeight, w.projBias); // (B*T, C)
  return tf.reshape(dropout(out, dropoutRate, seed === undefined ? undefined : seed + 1), [B, T, C]);
}
