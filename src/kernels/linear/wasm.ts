// wasm kernels for NanometaLinear, NanometaGeluLinearGrad and NanometaColumnSum: the products on XNNPACK
// (matmul/wasm.ts, the bias in its epilogue), GELU and gelu' in gelu/wasm.ts's kernels, the column sum in
// nanometa's SIMD kernel (simd/layernorm.ts; a JavaScript loop where it does not apply), the residual in a loop
// over heap views.
import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../../backend/simd.js';
import { allocate, f32, fromValues, pointer, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { geluGradInto, geluOnHeap } from '../gelu/wasm.js';
import { xnnMatMul } from '../matmul/wasm.js';
import { columnSumLoop } from './cpu.js';
import { COLUMN_SUM, GELU_LINEAR_GRAD, LINEAR, type LinearAttrs } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function linearWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x, weight, bias, residual } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { geluInput } = attrs as unknown as LinearAttrs;
  const act = geluInput ? geluOnHeap(be, x!) : x!; // (N, in)
  const y = xnnMatMul(be, act, weight!, false, true, bias); // (N, out)
  if (geluInput) be.disposeData(act.dataId);
  if (residual) {
    const out = f32(be, y);
    const r = f32(be, residual);
    for (let i = 0; i < out.length; i++) out[i] += r[i];
  }
  return y;
}

/** du = (dy W) ⊙ gelu'(u), dW = dy^T gelu(u); dy (N, out), weight (out, in), u (N, in). */
function geluLinearGradWasm({ inputs, backend }: Args): tf.TensorInfo[] {
  const be = backend as WasmHeapBackend;
  const { dy, weight, u } = inputs as Record<string, tf.TensorInfo>;
  const g = geluOnHeap(be, u); // (N, in)
  const dW = xnnMatMul(be, dy, g, true, false); // (out, in)
  be.disposeData(g.dataId);
  const du = xnnMatMul(be, dy, weight, false, false); // (N, in): dy W, then times gelu'(u) in place
  geluGradInto(be, u, du, du);
  return [du, dW];
}

function columnSumWasm({ inputs, backend }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const [R, C] = x.shape;
  const simd = simdKernels(be, C);
  if (!simd) return fromValues(be, columnSumLoop(f32(be, x), R, C), [C]);
  const [out, scratch] = allocate(be, [[C], [2 * C]]); // scratch: C float64
  simd.columnSum(pointer(be, x), pointer(be, out), R, C, pointer(be, scratch));
  be.disposeData(scratch.dataId);
  return out;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: LINEAR, backendName: 'wasm', kernelFunc: linearWasm },
  { kernelName: GELU_LINEAR_GRAD, backendName: 'wasm', kernelFunc: geluLinearGradWasm },
  { kernelName: COLUMN_SUM, backendName: 'wasm', kernelFunc: columnSumWasm },
];
