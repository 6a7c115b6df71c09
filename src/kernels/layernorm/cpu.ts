// cpu kernels for NanometaLayerNorm / NanometaLayerNormGrad / NanometaLayerNormResidual: one float64 pass per row (two-pass mean and
// variance from the row in hand); the backward recomputes mean and rstd and returns dx, dweight and dbias together.
import type * as tf from '@tensorflow/tfjs-core';
import { passThrough } from '../pass-through.js';
import {
  LAYER_NORM,
  LAYER_NORM_GRAD,
  LAYER_NORM_RESIDUAL,
  type LayerNormAttrs,
  type LayerNormGradInputs,
} from './index.js';

/** mean and 1/sqrt(var + eps) of row x[o .. o+C), in float64. */
function rowStats(x: Float32Array, o: number, C: number, eps: number): [number, number] {
  let s = 0;
  for (let c = 0; c < C; c++) s += x[o + c];
  const mean = s / C;
  let q = 0;
  for (let c = 0; c < C; c++) q += (x[o + c] - mean) ** 2;
  return [mean, 1 / Math.sqrt(q / C + eps)];
}

/** y (N, C) = (x - mean) * rstd * weight + bias, row by row. */
export function layerNormLoop(
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | undefined,
  N: number,
  C: number,
  eps: number,
): Float32Array {
  const out = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const [mean, rstd] = rowStats(x, o, C, eps);
    for (let c = 0; c < C; c++) out[o + c] = (x[o + c] - mean) * rstd * weight[c] + (bias ? bias[c] : 0);
  }
  return out;
}

/**
 * dx = rstd (dyw - mean(dyw) - xhat mean(dyw xhat)) with dyw = dy weight, xhat = (x - mean) rstd;
 * dweight = sum over rows of dy xhat; dbias = sum over rows of dy.
 */
export function layerNormGradLoop(
  x: Float32Array,
  weight: Float32Array,
  dy: Float32Array,
  N: number,
  C: number,
  eps: number,
) {
  const dx = new Float32Array(N * C);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  const xhat = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const [mean, rstd] = rowStats(x, o, C, eps);
    let a = 0;
    let b = 0;
    for (let c = 0; c < C; c++) {
      xhat[c] = (x[o + c] - mean) * rstd;
      const g = dy[o + c];
      const dyw = g * weight[c];
      a += dyw;
      b += dyw * xhat[c];
      dw[c] += g * xhat[c];
      db[c] += g;
    }
    a /= C;
    b /= C;
    for (let c = 0; c < C; c++) dx[o + c] = rstd * (dy[o + c] * weight[c] - a - xhat[c] * b);
  }
  return { dx, dweight: Float32Array.from(dw), dbias: Float32Array.from(db) };
}

type Inputs = Parameters<tf.KernelFunc>[0];

function layerNormCpu({ inputs, backend: kernelBackend, attrs }: Inputs): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { x, weight, bias } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; bias?: tf.TensorInfo };
  const { eps } = attrs as unknown as LayerNormAttrs;
  const [N, C] = x.shape;
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const values = layerNormLoop(read(x), read(weight), bias ? read(bias) : undefined, N, C, eps);
  return { dataId: backend.write(values, x.shape, 'float32'), shape: x.shape, dtype: 'float32' };
}

function layerNormGradCpu({ inputs, backend: kernelBackend, attrs }: Inputs): tf.TensorInfo[] {
  const backend = kernelBackend as tf.KernelBackend;
  const { x, weight, dy, dres } = inputs as LayerNormGradInputs;
  const { eps, withBias } = attrs as unknown as LayerNormAttrs;
  const [N, C] = x.shape;
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const { dx, dweight, dbias } = layerNormGradLoop(read(x), read(weight), read(dy), N, C, eps);
  if (dres) {
    // the residual stream's gradient, added here instead of by autodiff (NanometaLayerNormResidual)
    const r = read(dres);
    for (let i = 0; i < dx.length; i++) dx[i] += r[i];
  }
  const out = (values: Float32Array, shape: number[]): tf.TensorInfo => ({
    dataId: backend.write(values, shape, 'float32'),
    shape,
    dtype: 'float32',
  });
  return withBias ? [out(dx, [N, C]), out(dweight, [C]), out(dbias, [C])] : [out(dx, [N, C]), out(dweight, [C])];
}

/** [x itself (its data, no copy), LN(x)]. */
function layerNormResidualCpu(args: Inputs): tf.TensorInfo[] {
  return [passThrough(args.backend as tf.KernelBackend, args.inputs.x as tf.TensorInfo), layerNormCpu(args)];
}

export const cpuKernels: tf.KernelConfig[] = [
  { kernelName: LAYER_NORM, backendName: 'cpu', kernelFunc: layerNormCpu },
  { kernelName: LAYER_NORM_GRAD, backendName: 'cpu', kernelFunc: layerNormGradCpu },
  { kernelName: LAYER_NORM_RESIDUAL, backendName: 'cpu', kernelFunc: layerNormResidualCpu },
];
