// cpu kernels for the fused cross-entropy (model/loss.ts crossEntropyTrain): NanometaRowPick reads each row's
// target logit, NanometaCrossEntropyGrad writes dlogits = (softmax(x) - onehot(y)) * scale in one pass over x.
import type * as tf from '@tensorflow/tfjs-core';
import { ROW_PICK, CROSS_ENTROPY_GRAD, type CrossEntropyGradAttrs } from './index.js';

/** out (n): out[i] = x[i, y[i]] of x (n, V) row-major; 0 where y[i] is outside [0, V) (tf.oneHot's convention). */
export function rowPickLoop(x: Float32Array, y: Int32Array, n: number, V: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = y[i];
    out[i] = t >= 0 && t < V ? x[i * V + t] : 0;
  }
  return out;
}

/** dx (n, V) = (exp(x[i, j] - lse[i]) - (j == y[i] ? 1 : 0)) * scale. */
export function crossEntropyGradLoop(
  x: Float32Array,
  lse: Float32Array,
  y: Int32Array,
  n: number,
  V: number,
  scale: number,
): Float32Array {
  const out = new Float32Array(n * V);
  for (let i = 0; i < n; i++) {
    const o = i * V;
    const m = lse[i];
    for (let j = 0; j < V; j++) out[o + j] = Math.exp(x[o + j] - m) * scale;
    const t = y[i];
    if (t >= 0 && t < V) out[o + t] = (Math.exp(x[o + t] - m) - 1) * scale;
  }
  return out;
}

/** The row's target logit; with input lse, the row's loss (lse - target logit) * scale instead (rowNll). */
function rowPickCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { logits, labels, lse } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo; lse?: tf.TensorInfo };
  const [n, V] = logits.shape;
  const values = rowPickLoop(
    backend.readSync(logits.dataId) as Float32Array,
    backend.readSync(labels.dataId) as Int32Array,
    n,
    V,
  );
  if (lse) {
    const scale = (attrs as unknown as Partial<CrossEntropyGradAttrs> | undefined)?.scale ?? 1;
    const l = backend.readSync(lse.dataId) as Float32Array;
    for (let i = 0; i < n; i++) values[i] = (l[i] - values[i]) * scale;
  }
  return { dataId: backend.write(values, [n], 'float32'), shape: [n], dtype: 'float32' };
}

function crossEntropyGradCpu({ inputs, backend: kernelBackend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = kernelBackend as tf.KernelBackend;
  const { logits, lse, labels } = inputs as { logits: tf.TensorInfo; lse: tf.TensorInfo; labels: tf.TensorInfo };
  const { scale } = attrs as unknown as CrossEntropyGradAttrs;
  const [n, V] = logits.shape;
  const values = crossEntropyGradLoop(
    backend.readSync(logits.dataId) as Float32Array,
    backend.readSync(lse.dataId) as Float32Array,
    backend.readSync(labels.dataId) as Int32Array,
    n,
    V,
    scale,
  );
  return { dataId: backend.write(values, [n, V], 'float32'), shape: [n, V], dtype: 'float32' };
}

const rowPickCpuConfig: tf.KernelConfig = { kernelName: ROW_PICK, backendName: 'cpu', kernelFunc: rowPickCpu };
const crossEntropyGradCpuConfig: tf.KernelConfig = {
  kernelName: CROSS_ENTROPY_GRAD,
  backendName: 'cpu',
  kernelFunc: crossEntropyGradCpu,
};

export const cpuKernels: tf.KernelConfig[] = [rowPickCpuConfig, crossEntropyGradCpuConfig];
