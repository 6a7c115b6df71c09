// LayerNorm ops over the last axis (torch.nn.functional.layer_norm): forward is one fused kernel, backward one
// kernel returning dx, dweight and dbias, on cpu and WebGPU; other backends use the stock-op reference.
// layerNormResidual also hands its input on, so the residual stream's two gradients meet inside the backward.
import * as tf from '@tensorflow/tfjs-core';
import { layerNormReference } from './reference.js';

export const LAYER_NORM = 'NanometaLayerNorm';
export const LAYER_NORM_GRAD = 'NanometaLayerNormGrad';
/**
 * LayerNorm of the residual stream x that also hands x on, [x, y = LN(x)], so that x has one consumer and its two
 * gradients (from y and from the stream) are summed inside NanometaLayerNormGrad's dx pass (input dres) instead of
 * by one more Add dispatch that autodiff inserts for a tensor used twice.
 */
export const LAYER_NORM_RESIDUAL = 'NanometaLayerNormResidual';

/**
 * Inputs of NanometaLayerNormGrad: x (N, C), weight (C), dy (N, C), and dres (N, C) when the residual stream's own
 * gradient is added to dx (NanometaLayerNormResidual's backward).
 */
export type LayerNormGradInputs = {
  x: tf.TensorInfo;
  weight: tf.TensorInfo;
  dy: tf.TensorInfo;
  dres?: tf.TensorInfo;
};

export interface LayerNormAttrs {
  eps: number;
  /** Grad only: whether to return dbias as a third output. */
  withBias?: boolean;
}

/** Rows longer than this would need too many registers per thread in the WGSL programs. */
const MAX_C = 8192;

type Op = (x: tf.Tensor2D, weight: tf.Tensor1D, bias?: tf.Tensor1D) => tf.Tensor2D;

/** The custom-gradient op for one eps, with or without bias (customGrad wants a fixed list of tensor inputs). */
function makeOp(eps: number, withBias: boolean): Op {
  const attrs = (extra: Partial<LayerNormAttrs> = {}) => ({ eps, ...extra }) as unknown as tf.NamedAttrMap;
  const body = (x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, save: tf.GradSaveFunc) => {
    save([x, weight]);
    const inputs: tf.NamedTensorMap = bias ? { x, weight, bias } : { x, weight };
    const value = tf.engine().runKernel(LAYER_NORM, inputs, attrs()) as tf.Tensor2D; // (N, C)
    const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
      tf.engine().runKernel(LAYER_NORM_GRAD, { x: saved[0], weight: saved[1], dy }, attrs({ withBias })) as tf.Tensor[]; // dx (N, C), dweight (C), dbias (C)?
    return { value, gradFunc };
  };
  if (withBias)
    return tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) =>
      body(x, w, b, save)) as never) as Op;
  return tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor1D, save: tf.GradSaveFunc) =>
    body(x, w, undefined, save)) as never) as Op;
}

const ops = new Map<string, Op>();

/** y = (x - mean) / sqrt(var + eps) * weight + bias over the last axis; x (..., C), weight (C), bias (C)? -> (..., C). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor, eps = 1e-5): tf.Tensor {
  const C = x.shape[x.rank - 1];
  if (x.rank < 1 || weight.rank !== 1 || weight.shape[0] !== C || (bias && (bias.rank !== 1 || bias.shape[0] !== C))) {
    throw new TypeError(
      `layerNorm: weight and bias must be (${C}) for x [${x.shape}], got [${weight.shape}] and [${bias?.shape ?? ''}]`,
    );
  }
  if ([x, weight, bias].some((t) => t && t.dtype !== 'float32'))
    throw new TypeError('layerNorm: tensors must be float32');
  const backend = tf.getBackend();
  if (x.size === 0 || C > MAX_C || !tf.getKernel(LAYER_NORM, backend) || !tf.getKernel(LAYER_NORM_GRAD, backend)) {
    return layerNormReference(x, weight, bias, eps);
  }
  const key = `${eps}:${bias !== undefined}`;
  let op = ops.get(key);
  if (!op) ops.set(key, (op = makeOp(eps, bias !== undefined)));
  if (x.rank === 2)
    return bias
      ? op(x as tf.Tensor2D, weight as tf.Tensor1D, bias as tf.Tensor1D)
      : op(x as tf.Tensor2D, weight as tf.Tensor1D);
  return tf.tidy(() => {
    const x2 = tf.reshape(x, [x.size / C, C]) as tf.Tensor2D; // (N, C)
    const y = bias ? op(x2, weight as tf.Tensor1D, bias as tf.Tensor1D) : op(x2, weight as tf.Tensor1D); // (N, C)
    return tf.reshape(y, x.shape);
  });
}

/** dx = LayerNorm's dx + the pass-through output's gradient, in the one dx kernel; dweight, dbias as LayerNorm's. */
const layerNormResidualGradConfig: tf.GradConfig = {
  kernelName: LAYER_NORM_RESIDUAL,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [dres, dy] = dys as tf.Tensor[]; // tfjs passes zeros for an output no gradient reached
    const [x, weight] = saved;
    const { eps, withBias } = attrs as unknown as LayerNormAttrs;
    const grads = tf.engine().runKernel(LAYER_NORM_GRAD, { x, weight, dy, dres }, {
      eps,
      withBias,
    } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = { x: () => grads[0], weight: () => grads[1] };
    if (withBias) out.bias = () => grads[2];
    return out;
  },
};

/** Gradients of this folder's multi-output kernel (customGrad handles one output only), for kernels/register.ts. */
export const layerNormGradients: tf.GradConfig[] = [layerNormResidualGradConfig];

/**
 * [x, layerNorm(x)] for the residual stream x (N, C): the same values as using x twice, but x's two gradients
 * are summed inside the LayerNorm backward kernel (NanometaLayerNormResidual), not by an extra Add.
 */
export function layerNormResidual(
  x: tf.Tensor2D,
  weight: tf.Tensor1D,
  bias?: tf.Tensor1D,
  eps = 1e-5,
): [tf.Tensor2D, tf.Tensor2D] {
  const C = x.shape[1];
  const backend = tf.getBackend();
  if (
    x.rank !== 2 ||
    x.size === 0 ||
    C > MAX_C ||
    !tf.getKernel(LAYER_NORM_RESIDUAL, backend) ||
    !tf.getKernel(LAYER_NORM_GRAD, backend)
  ) {
    return [x, layerNorm(x, weight, bias, eps) as tf.Tensor2D];
  }
  if (weight.rank !== 1 || weight.shape[0] !== C || (bias && (bias.rank !== 1 || bias.shape[0] !== C))) {
    throw new TypeError(
      `layerNormResidual: weight and bias must be (${C}) for x [${x.shape}], got [${weight.shape}] and [${bias?.shape ?? ''}]`,
    );
  }
  if ([x, weight, bias].some((t) => t && t.dtype !== 'float32'))
    throw new TypeError('layerNormResidual: tensors must be float32');
  const attrs: LayerNormAttrs = { eps, withBias: bias !== undefined };
  const inputs: tf.NamedTensorMap = bias ? { x, weight, bias } : { x, weight };
  return tf.engine().runKernel(LAYER_NORM_RESIDUAL, inputs, attrs as unknown as tf.NamedAttrMap) as [
    tf.Tensor2D,
    tf.Tensor2D,
  ];
}
