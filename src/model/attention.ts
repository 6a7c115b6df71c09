// Causal multi-head self-attention (nanoGPT CausalSelfAttention): one qkv projection, causal softmax(QK^T/sqrt(hs)) V,
// output projection with the block's residual added in its GEMM epilogue. Two paths with the same numbers: 'fused'
// (kernels/attention: one kernel from qkv to the merged heads, one back to dqkv) and 'matmul' (q k^T, fused causal
// softmax, dropout, att v). 'fused' unless attention dropout is on or the `attention` flag (src/flags.ts) says matmul.
import * as tf from '@tensorflow/tfjs-core';
import { causalAttention } from '../kernels/attention/index.js';
import { causalSoftmax } from '../kernels/causal-softmax/index.js';
import { flag } from '../flags.js';
import { linear, dropout } from './layers.js';

export interface AttentionWeights {
  qkvWeight: tf.Tensor;
  qkvBias?: tf.Tensor;
  projWeight: tf.Tensor;
  projBias?: tf.Tensor;
}

/** softmax(q k^T / sqrt(hs) + mask) v from qkv (B*T, 3C) by batched products, with dropout on the attention matrix. */
function matmulAttention(
  qkv: tf.Tensor2D,
  B: number,
  T: number,
  nHead: number,
  dropoutRate: number,
  seed?: number,
): tf.Tensor2D {
  const C = qkv.shape[1] / 3;
  const hs = C / nHead;
  // One transpose for q, k and v together, then a split whose gradient is one concat (three slices would
  // need three transposes forward and three pads plus two adds backward).
  const heads = tf.transpose(tf.reshape(qkv, [B, T, 3, nHead, hs]), [2, 0, 3, 1, 4]); // (3, B, H, T, hs)
  const [q, k, v] = tf.split(heads, 3, 0).map((t) => tf.reshape(t, [B, nHead, T, hs]) as tf.Tensor4D); // (B, H, T, hs) each
  const att = dropout(causalSoftmax(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), dropoutRate, seed); // (B, H, T, T)
  return tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]); // (B*T, C)
}

/**
 * residual + attn(x) for the residual stream: x (B*T, C) (ln_1's output), residual (B*T, C)? -> (B*T, C). The residual
 * is added in the output projection's GEMM epilogue; while dropout is on (training), after dropout of the projection,
 * as nanoGPT's x + dropout(c_proj(y)).
 */
export function attention(
  x: tf.Tensor2D,
  B: number,
  T: number,
  w: AttentionWeights,
  nHead: number,
  dropoutRate: number,
  seed?: number,
  residual?: tf.Tensor2D,
): tf.Tensor2D {
  const C = x.shape[1];
  if (x.rank !== 2 || x.shape[0] !== B * T)
    throw new TypeError(`attention: x must be (B*T, C) = (${B * T}, C), got [${x.shape}]`);
  const qkv = linear(x, w.qkvWeight, w.qkvBias); // (B*T, 3C)
  // The fused kernel has no attention dropout: it serves whenever that dropout is off (rate 0, or not training).
  // It is the default on WebGPU (4 dispatches per layer and step instead of ~20, no (B, H, T, T) matrix) and on
  // cpu (faster there too: bench/cpu-step.ts).
  const fused = (dropoutRate === 0 || seed === undefined) && flag('attention') === 'fused';
  const y = fused
    ? (tf.reshape(causalAttention(tf.reshape(qkv, [B, T, 3 * C]), nHead), [B * T, C]) as tf.Tensor2D) // (B*T, C)
    : matmulAttention(qkv, B, T, nHead, dropoutRate, seed); // (B*T, C)
  if (dropoutRate > 0 && seed !== undefined) {
    const out = dropout(linear(y, w.projWeight, w.projBias), dropoutRate, seed + 1) as tf.Tensor2D; // (B*T, C)
    return residual ? (tf.add(residual, out) as tf.Tensor2D) : out;
  }
  return linear(y, w.projWeight, w.projBias, residual); // (B*T, C)
}
