// wasm kernels for NanometaLayerNorm, NanometaLayerNormGrad (+ dres, the residual stream's gradient) and
// NanometaLayerNormResidual ([x handed on, LN(x)]): cpu.ts's loops over views of the wasm heap.
import type * as tf from '@tensorflow/tfjs-core';
import { f32, fromValues, passThrough, type WasmHeapBackend } from '../../backend/wasm-heap.js';
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
  return fromValues(
    be,
    layerNormLoop(f32(be, x), f32(be, weight), bias ? f32(be, bias) : undefined, N, C, eps),
    x.shape,
  ); // (N, C)
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
  const { dx, dweight, dbias } = layerNormGradLoop(f32(be, x), f32(be, weight), f32(be, dy), N, C, eps);
  if (dres) {
    const r = f32(be, dres);
    for (let i = 0; i < dx.length; i++) dx[i] += r[i];
  }
  const outs = [fromValues(be, dx, [N, C]), fromValues(be, dweight, [C])];
  return withBias ? [...outs, fromValues(be, dbias, [C])] : outs;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: LAYER_NORM, backendName: 'wasm', kernelFunc: layerNormWasm },
  { kernelName: LAYER_NORM_GRAD, backendName: 'wasm', kernelFunc: layerNormGradWasm },
  { kernelName: LAYER_NORM_RESIDUAL, backendName: 'wasm', kernelFunc: layerNormResidualWasm },
];
