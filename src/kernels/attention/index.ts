// Fused causal self-attention: y = softmax(q k^T / sqrt(hs) + causal mask) v per head, straight from the qkv
// projection's (B, T, 3C) output to the heads-merged (B, T, C) input of the output projection; one kernel forward,
// one backward returning dqkv, on cpu and WebGPU; stock ops (reference.ts) elsewhere. nanoGPT CausalSelfAttention.
import * as tf from '@tensorflow/tfjs-core';
import { causalAttentionReference } from './reference.js';

export const CAUSAL_ATTENTION = 'NanometaCausalAttention';
export const CAUSAL_ATTENTION_GRAD = 'NanometaCausalAttentionGrad';

export interface CausalAttentionAttrs {
  nHead: number;
}

/** Sizes of a (B, T, 3C) qkv with H heads: C = H * hs; q, k, v of head h at columns h*hs, C + h*hs, 2C + h*hs. */
export interface AttentionDims {
  B: number;
  T: number;
  H: number;
  hs: number;
}

export function attentionDims(shape: number[], nHead: number): AttentionDims {
  const [B, T, C3] = shape;
  return { B, T, H: nHead, hs: C3 / 3 / nHead };
}

/** Head sizes past this would need too many registers per thread in the WGSL programs (q, k, v rows are held). */
export const MAX_HEAD_SIZE = 256;

type Op = (qkv: tf.Tensor3D) => tf.Tensor3D;
const ops = new Map<number, Op>();

/** The custom-gradient op for one head count (attrs are fixed per customGrad closure). */
function makeOp(nHead: number): Op {
  const attrs = { nHead } satisfies CausalAttentionAttrs as unknown as tf.NamedAttrMap;
  return tf.customGrad(((qkv: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const value = tf.engine().runKernel(CAUSAL_ATTENTION, { qkv }, attrs) as tf.Tensor3D; // (B, T, C)
    save([qkv, value]);
    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]) =>
      tf.engine().runKernel(CAUSAL_ATTENTION_GRAD, { qkv: saved[0], y: saved[1], dy }, attrs) as tf.Tensor3D; // (B, T, 3C)
    return { value, gradFunc };
  }) as never) as Op;
}

/**
 * Causal multi-head self-attention on the qkv projection's output (B, T, 3C) = [q | k | v], heads contiguous
 * inside each (the [B, T, 3, H, hs] view); returns the heads merged as (B, T, C). Scale 1/sqrt(hs), no dropout.
 */
export function causalAttention(qkv: tf.Tensor3D, nHead: number): tf.Tensor3D {
  const [B, T, C3] = qkv.shape;
  if (qkv.rank !== 3 || !Number.isInteger(nHead) || nHead < 1 || C3 % (3 * nHead) !== 0) {
    throw new TypeError(
      `causalAttention: qkv must be (B, T, 3C) with C a multiple of nHead = ${nHead}, got shape [${qkv.shape}]`,
    );
  }
  if (qkv.dtype !== 'float32') throw new TypeError(`causalAttention: qkv must be float32, got ${qkv.dtype}`);
  const backend = tf.getBackend();
  const hs = C3 / 3 / nHead;
  if (
    B * T === 0 ||
    hs > MAX_HEAD_SIZE ||
    !tf.getKernel(CAUSAL_ATTENTION, backend) ||
    !tf.getKernel(CAUSAL_ATTENTION_GRAD, backend)
  ) {
    return causalAttentionReference(qkv, nHead);
  }
  let op = ops.get(nHead);
  if (!op) ops.set(nHead, (op = makeOp(nHead)));
  return op(qkv);
}
