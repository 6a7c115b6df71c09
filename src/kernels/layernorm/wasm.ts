// wasm kernels for NanometaLayerNorm, NanometaLayerNormGrad (+ dres, the residual stream's gradient) and
// NanometaLayerNormResidual ([x handed on, LN(x)]): nanometa's SIMD kernels (simd/layernorm.ts) on the heap in place;
// cpu.ts's loops over heap views where there is no WebAssembly SIMD or C is not a multiple of 4.
import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../../backend/simd.js';
import { allocate, f32, fromValues, pointer, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { passThrough } from '../pass-through.js';
import { layerNormGradLoop, layerNormLoop } from './cpu.js';
import {
  LAYER_NORM,
  LAYER_NORM_GRAD,
  LAYER_NORM_RESIDUAL,
  type LayerNormAttrs,
  type LayerNormGradInputs,
} from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function layerNormWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x, weight, bias } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; bias?: tf.TensorInfo };
  const { eps } = attrs as unknown as LayerNormAttrs;
  const [N, C] = x.shape;
  const simd = simdKernels(be, C);
  if (!simd) {
    const b = bias ? f32(be, bias) : undefined;
    return fromValues(be, layerNormLoop(f32(be, x), f32(be, weight), b, N, C, eps), x.shape); // (N, C)
  }
  const [y] = allocate(be, [x.shape]); // (N, C)
  simd.layerNorm(pointer(be, x), pointer(be, weight), bias ? pointer(be, bias) : 0, pointer(be, y), N, C, eps);
  return y;
}

function layerNormResidualWasm(args: Args): tf.TensorInfo[] {
  const be = args.backend as WasmHeapBackend;
  const y = layerNormWasm(args); // (N, C)
  return [passThrough(be, (args.inputs as { x: tf.TensorInfo }).x), y];
}

function layerNormGradWasm({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const be = backend as WasmHeapBackend;
  const { x, weight, dy, dres } = inputs as LayerNormGradInputs;
  const { eps, withBias } = attrs as unknown as LayerNormAttrs;
  const [N, C] = x.shape;
  const simd = simdKernels(be, C);
  if (!simd) {
    const { dx, dweight, dbias } = layerNormGradLoop(f32(be, x), f32(be, weight), f32(be, dy), N, C, eps);
    if (dres) {
      const r = f32(be, dres);
      for (let i = 0; i < dx.length; i++) dx[i] += r[i];
    }
    const outs = [fromValues(be, dx, [N, C]), fromValues(be, dweight, [C])];
    return withBias ? [...outs, fromValues(be, dbias, [C])] : outs;
  }
  const [scratch, dx, dweight, dbias] = allocate(be, [[4 * C], [N, C], [C], ...(withBias ? [[C]] : [])]); // 2 C f64
  const p = (t: tf.TensorInfo | undefined) => (t ? pointer(be, t) : 0);
  simd.layerNormGrad(p(x), p(weight), p(dy), p(dres), p(dx), p(dweight), p(dbias), N, C, eps, p(scratch));
  be.disposeData(scratch.dataId);
  return withBias ? [dx, dweight, dbias] : [dx, dweight];
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: LAYER_NORM, backendName: 'wasm', kernelFunc: layerNormWasm },
  { kernelName: LAYER_NORM_GRAD, backendName: 'wasm', kernelFunc: layerNormGradWasm },
  { kernelName: LAYER_NORM_RESIDUAL, backendName: 'wasm', kernelFunc: layerNormResidualWasm },
];
