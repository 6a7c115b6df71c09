// WebGPU kernels for NanometaLayerNorm(Residual) (one dispatch; the stock ops take ~10) and NanometaLayerNormGrad: by default
// two raw passes (raw.ts); NANOMETA_LAYERNORM=programs: dx in one program, dweight/dbias as (chunks, C) partial sums
// in one and a column sum each (3-4 dispatches).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { passThrough } from '../pass-through.js';
import { LAYER_NORM, LAYER_NORM_GRAD, LAYER_NORM_RESIDUAL, type LayerNormAttrs } from './index.js';
import { layerNormGradPath, layerNormGradRaw } from './raw.js';
import { LayerNormColumnSumProgram, LayerNormGradPartialsProgram, LayerNormGradXProgram, LayerNormProgram, MAX_CHUNKS } from './program.js';

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
  const { x, weight, dy, dres } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; dy: tf.TensorInfo; dres?: tf.TensorInfo };
  const { eps, withBias } = attrs as unknown as LayerNormAttrs;
  if (layerNormGradPath() === 'raw') return layerNormGradRaw(backend, x, weight, dy, dres, eps, withBias === true);
  const gpu = backend as WebGPUBackend;
  const [N, C] = x.shape;
  const dxInputs = dres ? [x, weight, dy, dres] : [x, weight, dy];
  const dx = gpu.runWebGPUProgram(new LayerNormGradXProgram(N, C, dres !== undefined), dxInputs, 'float32', [{ type: 'float32', data: [eps] }]); // (N, C)
  // Enough workgroups to fill a GPU (N = 32768 rows -> 4096 chunks of 8), few enough for a short column sum.
  const rowsPerChunk = Math.ceil(N / MAX_CHUNKS);
  const chunks = Math.ceil(N / rowsPerChunk);
  const partials = gpu.runWebGPUProgram(new LayerNormGradPartialsProgram(chunks, C), [x, dy], 'float32', [
    { type: 'float32', data: [eps] },
    { type: 'int32', data: [rowsPerChunk] },
  ]); // (2, chunks, C)
  const columnSum = (part: number) =>
    gpu.runWebGPUProgram(new LayerNormColumnSumProgram(C), [partials], 'float32', [{ type: 'int32', data: [part] }]); // (C)
  const outs = withBias ? [dx, columnSum(0), columnSum(1)] : [dx, columnSum(0)];
  gpu.disposeData(partials.dataId);
  return outs;
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
