// NanometaLayerNormResidual: LayerNorm of the residual stream x that also hands x on, [x, y = LN(x)], so that x has
// one consumer and its two gradients (from y and from the stream) are summed inside NanometaLayerNormGrad's dx pass
// (input dres) instead of by one more Add dispatch that autodiff inserts for a tensor used twice.
import * as tf from '@tensorflow/tfjs-core';
import { LAYER_NORM_GRAD, layerNormCpu, type LayerNormAttrs } from './cpu.js';
import { layerNormWebGPU } from './webgpu.js';

export const LAYER_NORM_RESIDUAL = 'NanometaLayerNormResidual';

/** [x itself (its data, no copy), LN(x)] on any backend whose LayerNorm kernel is `layerNormKernel`. */
function withPassThrough(layerNormKernel: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const y = layerNormKernel(args) as tf.TensorInfo; // (N, C)
    (args.backend as tf.KernelBackend).incRef(x.dataId); // as tfjs's Identity kernel: a second handle on x's data
    return [{ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, y];
  };
}

export const layerNormResidualCpuConfig: tf.KernelConfig = {
  kernelName: LAYER_NORM_RESIDUAL, backendName: 'cpu', kernelFunc: withPassThrough(layerNormCpu),
};
export const layerNormResidualWebGPUConfig: tf.KernelConfig = {
  kernelName: LAYER_NORM_RESIDUAL, backendName: 'webgpu', kernelFunc: withPassThrough(layerNormWebGPU),
};

/** dx = LayerNorm's dx + the pass-through output's gradient, in the one dx kernel; dweight, dbias as LayerNorm's. */
export const layerNormResidualGradConfig: tf.GradConfig = {
  kernelName: LAYER_NORM_RESIDUAL,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [dres, dy] = dys as tf.Tensor[]; // tfjs passes zeros for an output no gradient reached
    const [x, weight] = saved;
    const { eps, withBias } = attrs as unknown as LayerNormAttrs;
    const grads = tf.engine().runKernel(LAYER_NORM_GRAD, { x, weight, dy, dres }, { eps, withBias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = { x: () => grads[0], weight: () => grads[1] };
    if (withBias) out.bias = () => grads[2];
    return out;
  },
};

/** Registers the kernels and the gradient (called by registerKernels; safe to call more than once). */
export function registerLayerNormResidual(): void {
  for (const config of [layerNormResidualCpuConfig, layerNormResidualWebGPUConfig]) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
  if (!tf.getGradient(LAYER_NORM_RESIDUAL)) tf.registerGradient(layerNormResidualGradConfig);
}
