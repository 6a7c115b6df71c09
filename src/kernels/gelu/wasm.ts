// wasm kernels for NanometaGelu / NanometaGeluGrad: nanometa's SIMD kernels (simd/elementwise.ts) on the heap in
// place; cpu.ts's loops over heap views where there is no WebAssembly SIMD.
import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../../backend/simd.js';
import { allocate, f32, fromValues, pointer, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { geluGradLoop, geluLoop } from './cpu.js';
import { GELU, GELU_GRAD } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

/** GELU of x into a new heap tensor of x's shape. */
export function geluOnHeap(be: WasmHeapBackend, x: tf.TensorInfo): tf.TensorInfo {
  const simd = simdKernels(be);
  if (!simd) return fromValues(be, geluLoop(f32(be, x)), x.shape);
  const [y] = allocate(be, [x.shape]);
  simd.gelu(pointer(be, x), pointer(be, y), f32(be, x).length);
  return y;
}

/** dx = dy gelu'(x) into dx, a heap tensor the caller owns (it may be dy itself). */
export function geluGradInto(be: WasmHeapBackend, x: tf.TensorInfo, dy: tf.TensorInfo, dx: tf.TensorInfo): void {
  const simd = simdKernels(be);
  if (!simd) f32(be, dx).set(geluGradLoop(f32(be, x), f32(be, dy)));
  else simd.geluGrad(pointer(be, x), pointer(be, dy), pointer(be, dx), f32(be, x).length);
}

function geluWasm({ inputs, backend }: Args): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  return geluOnHeap(backend as WasmHeapBackend, x);
}

function geluGradWasm({ inputs, backend }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const [dx] = allocate(be, [x.shape]);
  geluGradInto(be, x, dy, dx);
  return dx;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: GELU, backendName: 'wasm', kernelFunc: geluWasm },
  { kernelName: GELU_GRAD, backendName: 'wasm', kernelFunc: geluGradWasm },
];
