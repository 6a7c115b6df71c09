// WebGPU kernels for NanometaCausalAttention (one dispatch: y from qkv) and NanometaCausalAttentionGrad (two:
// dq with the row statistics lse and D, then dk and dv writing the whole dqkv). The stock path takes ~6 ops
// forward and ~10 backward, and a (B, H, T, T) attention matrix each way.
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { CAUSAL_ATTENTION, CAUSAL_ATTENTION_GRAD, attentionDims, type CausalAttentionAttrs } from './index.js';
import { CausalAttentionGradKVProgram, CausalAttentionGradQProgram, CausalAttentionProgram } from './program.js';

type Inputs = Parameters<tf.KernelFunc>[0];

function causalAttentionWebGPU({ inputs, backend, attrs }: Inputs): tf.TensorInfo {
  const { qkv } = inputs as { qkv: tf.TensorInfo };
  const { B, T, H, hs } = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  const program = new CausalAttentionProgram(B, T, H, hs);
  return (backend as WebGPUBackend).runWebGPUProgram(program, [qkv], 'float32', program.uniformData()); // (B, T, C)
}

function causalAttentionGradWebGPU({ inputs, backend, attrs }: Inputs): tf.TensorInfo {
  const { qkv, y, dy } = inputs as { qkv: tf.TensorInfo; y: tf.TensorInfo; dy: tf.TensorInfo };
  const { B, T, H, hs } = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  const gpu = backend as WebGPUBackend;
  const q = new CausalAttentionGradQProgram(B, T, H, hs);
  const dqStats = gpu.runWebGPUProgram(q, [qkv, y, dy], 'float32', q.uniformData()); // (B*T*C + 2*B*H*T)
  const kv = new CausalAttentionGradKVProgram(B, T, H, hs);
  const dqkv = gpu.runWebGPUProgram(kv, [qkv, dy, dqStats], 'float32', kv.uniformData()); // (B, T, 3C)
  gpu.disposeData(dqStats.dataId);
  return dqkv;
}

const causalAttentionWebGPUConfig: tf.KernelConfig = {
  kernelName: CAUSAL_ATTENTION,
  backendName: 'webgpu',
  kernelFunc: causalAttentionWebGPU,
};

const causalAttentionGradWebGPUConfig: tf.KernelConfig = {
  kernelName: CAUSAL_ATTENTION_GRAD,
  backendName: 'webgpu',
  kernelFunc: causalAttentionGradWebGPU,
};

export const webgpuKernels: tf.KernelConfig[] = [causalAttentionWebGPUConfig, causalAttentionGradWebGPUConfig];
