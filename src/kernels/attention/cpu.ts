// cpu kernels for NanometaCausalAttention and its gradient: the reference math (softmax(q k^T / sqrt(hs) + mask) v)
// as plain loops over the (B, T, 3C) qkv layout, one (b, h, query row) at a time, accumulating in float64.
import type * as tf from '@tensorflow/tfjs-core';
import {
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  type CausalAttentionAttrs,
  type AttentionDims,
  attentionDims,
} from './index.js';

/** Softmax weights p[0..i] of query row i of head h in batch row b against keys 0..i of the same (b, h). */
function rowWeights(qkv: Float32Array, d: AttentionDims, b: number, h: number, i: number, p: Float64Array): void {
  const { T, H, hs } = d;
  const C = H * hs;
  const scale = 1 / Math.sqrt(hs);
  const qo = (b * T + i) * 3 * C + h * hs;
  let m = -Infinity;
  for (let j = 0; j <= i; j++) {
    const ko = (b * T + j) * 3 * C + C + h * hs;
    let s = 0;
    for (let e = 0; e < hs; e++) s += qkv[qo + e] * qkv[ko + e];
    p[j] = s * scale;
    m = Math.max(m, p[j]);
  }
  let sum = 0;
  for (let j = 0; j <= i; j++) sum += p[j] = Math.exp(p[j] - m);
  for (let j = 0; j <= i; j++) p[j] /= sum;
}

/** y (B, T, C), heads merged, from qkv (B, T, 3C). */
export function causalAttentionLoop(qkv: Float32Array, d: AttentionDims): Float32Array {
  const { B, T, H, hs } = d;
  const C = H * hs;
  const y = new Float32Array(B * T * C);
  const p = new Float64Array(T);
  const acc = new Float64Array(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        rowWeights(qkv, d, b, h, i, p);
        acc.fill(0);
        for (let j = 0; j <= i; j++) {
          const vo = (b * T + j) * 3 * C + 2 * C + h * hs;
          for (let e = 0; e < hs; e++) acc[e] += p[j] * qkv[vo + e];
        }
        const yo = (b * T + i) * C + h * hs;
        for (let e = 0; e < hs; e++) y[yo + e] = acc[e];
      }
    }
  }
  return y;
}

/**
 * dqkv (B, T, 3C) from qkv and the upstream gradient dy (B, T, C): with P the softmax weights,
 * dv_j = sum_i P_ij dy_i, dS_ij = P_ij (dy_i . v_j - sum_j' P_ij' dy_i . v_j'), dq_i = scale sum_j dS_ij k_j,
 * dk_j = scale sum_i dS_ij q_i (FlashAttention-2, Algorithm 2, with the row sums recomputed rather than saved).
 */
export function causalAttentionGradLoop(qkv: Float32Array, dy: Float32Array, d: AttentionDims): Float32Array {
  const { B, T, H, hs } = d;
  const C = H * hs;
  const scale = 1 / Math.sqrt(hs);
  const acc = new Float64Array(B * T * 3 * C);
  const p = new Float64Array(T);
  const dp = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        rowWeights(qkv, d, b, h, i, p);
        const qo = (b * T + i) * 3 * C + h * hs;
        const go = (b * T + i) * C + h * hs;
        let D = 0;
        for (let j = 0; j <= i; j++) {
          const vo = (b * T + j) * 3 * C + 2 * C + h * hs;
          let s = 0;
          for (let e = 0; e < hs; e++) s += dy[go + e] * qkv[vo + e];
          dp[j] = s;
          D += p[j] * s;
        }
        for (let j = 0; j <= i; j++) {
          const ko = (b * T + j) * 3 * C + C + h * hs;
          const ds = p[j] * (dp[j] - D) * scale;
          for (let e = 0; e < hs; e++) {
            acc[qo + e] += ds * qkv[ko + e]; // dq_i
            acc[ko + e] += ds * qkv[qo + e]; // dk_j
            acc[ko + C + e] += p[j] * dy[go + e]; // dv_j
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

type Inputs = Parameters<tf.KernelFunc>[0];

function causalAttentionCpu({ inputs, backend: kernelBackend, attrs }: Inputs): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { qkv } = inputs as { qkv: tf.TensorInfo };
  const d = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  const y = causalAttentionLoop(backend.readSync(qkv.dataId) as Float32Array, d); // (B, T, C)
  const shape = [d.B, d.T, d.H * d.hs];
  return { dataId: backend.write(y, shape, 'float32'), shape, dtype: 'float32' };
}

function causalAttentionGradCpu({ inputs, backend: kernelBackend, attrs }: Inputs): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { qkv, dy } = inputs as { qkv: tf.TensorInfo; dy: tf.TensorInfo };
  const d = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const dqkv = causalAttentionGradLoop(read(qkv), read(dy), d); // (B, T, 3C)
  return { dataId: backend.write(dqkv, qkv.shape, 'float32'), shape: qkv.shape, dtype: 'float32' };
}

const causalAttentionCpuConfig: tf.KernelConfig = {
  kernelName: CAUSAL_ATTENTION,
  backendName: 'cpu',
  kernelFunc: causalAttentionCpu,
};

const causalAttentionGradCpuConfig: tf.KernelConfig = {
  kernelName: CAUSAL_ATTENTION_GRAD,
  backendName: 'cpu',
  kernelFunc: causalAttentionGradCpu,
};

export const cpuKernels: tf.KernelConfig[] = [causalAttentionCpuConfig, causalAttentionGradCpuConfig];
