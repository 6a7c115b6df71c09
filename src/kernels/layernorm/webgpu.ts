// WebGPU kernels for NanometaLayerNorm (one dispatch; the stock ops take ~10) and NanometaLayerNormGrad (two raw
// passes, raw.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LAYER_NORM, LAYER_NORM_GRAD, type LayerNormAttrs } from './cpu.js';
import { layerNormGradRaw } from './raw.js';
import { LayerNormProgram } from './program.js';

type Inputs = Parameters<tf.KernelFunc>[0];

export function layerNormWebGPU({ inputs, backend, attrs }: Inputs): tf.TensorInfo {
  const { x, weight, bias } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; bias?: tf.TensorInfo };
  const { eps } = attrs as unknown as LayerNormAttrs;
  const [N, C] = x.shape;
  const program = new LayerNormProgram(N, C, bias !== undefined);
  const ins = bias ? [x, weight, bias] : [x, weight];
  return (backend as WebGPUBackend).runWebGPUProgram(program, ins, 'float32', [{ type: 'float32', data: [eps] }]); // (N, C)
}

function layerNormGradWebGPU({ inputs, backend, attrs }: Inputs): tf.TensorInfo[] {
  const { x, weight, dy, dres } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; dy: tf.TensorInfo; dres?: tf.TensorInfo };
  const { eps, withBias } = attrs as unknown as LayerNormAttrs;
  return layerNormGradRaw(backend, x, weight, dy, dres, eps, withBias === true);
}

export const layerNormWebGPUConfig: tf.KernelConfig = { kernelName: LAYER_NORM, backendName: 'webgpu', kernelFunc: layerNormWebGPU };
export const layerNormGradWebGPUConfig: tf.KernelConfig = {
  kernelName: LAYER_NORM_GRAD,
  backendName: 'webgpu',
  kernelFunc: layerNormGradWebGPU,
};
