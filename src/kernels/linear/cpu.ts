// cpu kernels for NanometaLinear (y = act(x) W^T + bias + residual, act = identity or GELU, one pass after the
// fast cpu product of kernels/matmul/cpu.ts), NanometaGeluLinearGrad (its products backward when act = GELU) and
// NanometaColumnSum (a linear layer's bias gradient: the sum of dy over rows).
import type * as tf from '@tensorflow/tfjs-core';
import { geluGradLoop, geluLoop } from '../gelu/cpu.js';
import { product } from '../matmul/cpu.js';
import { LINEAR, GELU_LINEAR_GRAD, COLUMN_SUM, type LinearAttrs } from './index.js';

/** A temporary float32 tensor on the cpu backend holding `values` (the caller disposes it). */
function temp(backend: tf.KernelBackend, values: Float32Array, shape: number[]): tf.TensorInfo {
  return { dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
}

/** sum over rows of x (R, C), in float64 -> (C). */
export function columnSumLoop(x: Float32Array, R: number, C: number): Float32Array {
  const acc = new Float64Array(C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) acc[c] += x[r * C + c];
  return Float32Array.from(acc);
}

function linearCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { x, weight, bias, residual } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { geluInput } = attrs as unknown as LinearAttrs;
  const act = geluInput ? temp(backend, geluLoop(backend.readSync(x!.dataId) as Float32Array), x!.shape) : x!;
  const p = product(backend, act, weight!, false, true);
  if (geluInput) backend.disposeData(act.dataId);
  if (!p) throw new TypeError(`${LINEAR}: x [${x!.shape}] and weight [${weight!.shape}] must be float32 matrices`);
  const out = p.out; // (N, out)
  const n = p.shape[1];
  if (bias) {
    const b = backend.readSync(bias.dataId) as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] += b[i % n];
  }
  if (residual) {
    const r = backend.readSync(residual.dataId) as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] += r[i];
  }
  return { dataId: backend.write(out, p.shape, 'float32'), shape: p.shape, dtype: 'float32' };
}

/** du = (dy W) ⊙ gelu'(u), dW = dy^T gelu(u) for y = gelu(u) W^T + ...; dy (N, out), weight (out, in), u (N, in). */
function geluLinearGradCpu({ inputs, backend: kernelBackend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const backend = kernelBackend as tf.KernelBackend;
  const { dy, weight, u } = inputs as Record<string, tf.TensorInfo>;
  const uv = backend.readSync(u.dataId) as Float32Array;
  const dg = product(backend, dy, weight, false, false)!; // (N, in)
  const g = temp(backend, geluLoop(uv), u.shape);
  const dW = product(backend, dy, g, true, false)!; // (out, in)
  backend.disposeData(g.dataId);
  return [temp(backend, geluGradLoop(uv, dg.out), u.shape), temp(backend, dW.out, dW.shape)];
}

function columnSumCpu({ inputs, backend: kernelBackend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const [R, C] = x.shape;
  const values = columnSumLoop(backend.readSync(x.dataId) as Float32Array, R, C);
  return { dataId: backend.write(values, [C], 'float32'), shape: [C], dtype: 'float32' };
}

const linearCpuConfig: tf.KernelConfig = { kernelName: LINEAR, backendName: 'cpu', kernelFunc: linearCpu };
const geluLinearGradCpuConfig: tf.KernelConfig = {
  kernelName: GELU_LINEAR_GRAD,
  backendName: 'cpu',
  kernelFunc: geluLinearGradCpu,
};
const columnSumCpuConfig: tf.KernelConfig = { kernelName: COLUMN_SUM, backendName: 'cpu', kernelFunc: columnSumCpu };

export const cpuKernels: tf.KernelConfig[] = [linearCpuConfig, geluLinearGradCpuConfig, columnSumCpuConfig];
