// wasm kernels for NanometaCausalAttention and its gradient: cpu.ts's loops over views of the wasm heap.
import type * as tf from '@tensorflow/tfjs-core';
import { f32, fromValues, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { causalAttentionGradLoop, causalAttentionLoop } from './cpu.js';
import { attentionDims, CAUSAL_ATTENTION, CAUSAL_ATTENTION_GRAD, type CausalAttentionAttrs } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function causalAttentionWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { qkv } = inputs as { qkv: tf.TensorInfo };
  const d = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  return fromValues(be, causalAttentionLoop(f32(be, qkv), d), [d.B, d.T, d.H * d.hs]); // (B, T, C)
}

function causalAttentionGradWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { qkv, dy } = inputs as { qkv: tf.TensorInfo; dy: tf.TensorInfo };
  const d = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  return fromValues(be, causalAttentionGradLoop(f32(be, qkv), f32(be, dy), d), qkv.shape); // (B, T, 3C)
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: CAUSAL_ATTENTION, backendName: 'wasm', kernelFunc: causalAttentionWasm },
  { kernelName: CAUSAL_ATTENTION_GRAD, backendName: 'wasm', kernelFunc: causalAttentionGradWasm },
];
