// wasm kernels for NanometaCausalAttention and its gradient: nanometa's SIMD kernels (simd/attention.ts) on the heap
// in place; cpu.ts's loops over heap views where there is no WebAssembly SIMD or the head size is not a multiple of 4.
import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels, type SimdKernels } from '../../backend/simd.js';
import { allocate, f32, fromValues, pointer, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { causalAttentionGradLoop, causalAttentionLoop } from './cpu.js';
import {
  attentionDims,
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  type AttentionDims,
  type CausalAttentionAttrs,
} from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

/** Float32 elements of scratch the SIMD kernels need for these sizes. */
const scratchShape = (simd: SimdKernels, d: AttentionDims) => [Math.ceil(simd.attentionScratchBytes(d.T, d.hs) / 4)];

function causalAttentionWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { qkv } = inputs as { qkv: tf.TensorInfo };
  const d = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  const shape = [d.B, d.T, d.H * d.hs];
  const simd = simdKernels(be, d.hs);
  if (!simd) return fromValues(be, causalAttentionLoop(f32(be, qkv), d), shape); // (B, T, C)
  const [y, scratch] = allocate(be, [shape, scratchShape(simd, d)]); // (B, T, C)
  simd.attentionForward(pointer(be, qkv), pointer(be, y), d.B, d.T, d.H, d.hs, pointer(be, scratch));
  be.disposeData(scratch.dataId);
  return y;
}

function causalAttentionGradWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { qkv, dy } = inputs as { qkv: tf.TensorInfo; dy: tf.TensorInfo };
  const d = attentionDims(qkv.shape, (attrs as unknown as CausalAttentionAttrs).nHead);
  const simd = simdKernels(be, d.hs);
  if (!simd) return fromValues(be, causalAttentionGradLoop(f32(be, qkv), f32(be, dy), d), qkv.shape); // (B, T, 3C)
  const [dqkv, scratch] = allocate(be, [qkv.shape, scratchShape(simd, d)]); // (B, T, 3C)
  const [q, g, out, s] = [qkv, dy, dqkv, scratch].map((t) => pointer(be, t));
  simd.attentionBackward(q, g, out, d.B, d.T, d.H, d.hs, s);
  be.disposeData(scratch.dataId);
  return dqkv;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: CAUSAL_ATTENTION, backendName: 'wasm', kernelFunc: causalAttentionWasm },
  { kernelName: CAUSAL_ATTENTION_GRAD, backendName: 'wasm', kernelFunc: causalAttentionGradWasm },
];
