// WebGPU kernels for NanometaLayerNorm(Residual) (one dispatch; the stock ops take ~10) and NanometaLayerNormGrad
// (two raw passes, raw.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { passThrough } from '../pass-through.js';
import {
  LAYER_NORM,
  LAYER_NORM_GRAD,
  LAYER_NORM_RESIDUAL,
  type LayerNormAttrs,
  type LayerNormGradInputs,
} from './index.js';
import { layerNormGradRaw } from './raw.js';
import { LayerNormProgram } from './program.js';

type Inputs = Parameters<tf.KernelFunc>[0];

function layerNormWebGPU({ inputs, backend, attrs }: Inputs): tf.TensorInfo {
  const { x, weight, bias } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; bias?: tf.TensorInfo };
  const { eps } = attrs as unknown as LayerNormAttrs;
  const [N, C] = x.shape;
  const program = new LayerNormProgram(N, C, bias !== undefined);
  const ins = bias ? [x, weight, bias] : [x, weight];
  return (backend as WebGPUBackend).runWebGPUProgram(program, ins, 'float32', [{ type: 'float32', data: [eps] }]); // (N, C)
}

function layerNormGradWebGPU({ inputs, backend, attrs }: Inputs): tf.TensorInfo[] {
  const { x, weight, dy, dres } = inputs as LayerNormGradInputs;
  const { eps, withBias } = attrs as unknown as LayerNormAttrs;
  return layerNormGradRaw(backend, x, weight, dy, dres, eps, withBias === true);
}

/** [x itself (its data, no copy), LN(x)]. */
function layerNormResidualWebGPU(args: Inputs): tf.TensorInfo[] {
  return [passThrough(args.backend as WebGPUBackend, args.inputs.x as tf.TensorInfo), layerNormWebGPU(args)];
}

export const webgpuKernels: tf.KernelConfig[] = [
  { kernelName: LAYER_NORM, backendName: 'webgpu', kernelFunc: layerNormWebGPU },
  { kernelName: LAYER_NORM_GRAD, backendName: 'webgpu', kernelFunc: layerNormGradWebGPU },
  { kernelName: LAYER_NORM_RESIDUAL, backendName: 'webgpu', kernelFunc: layerNormResidualWebGPU },
];
