// A row-wise cpu Softmax over the last axis (max-subtracted, as torch.softmax): one pass per row over
// the typed array. tfjs's cpu Softmax composes max/sub/exp/sum/div kernels with broadcasting, which cost
// as much as the attention matmuls. Other axes go to tfjs's own kernel (the reference).
import * as tf from '@tensorflow/tfjs-core';
import { runOriginal } from '../override.js';

/** softmax over rows of length `n`, in a new array. */
export function softmaxRows(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += n) {
    let max = -Infinity;
    for (let i = r; i < r + n; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = r; i < r + n; i++) sum += out[i] = Math.exp(x[i] - max);
    const inv = 1 / sum;
    for (let i = r; i < r + n; i++) out[i] *= inv;
  }
  return out;
}

function softmaxCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { logits } = args.inputs as { logits: tf.TensorInfo };
  const { dim } = args.attrs as unknown as { dim: number };
  const rank = logits.shape.length;
  if (logits.dtype !== 'float32' || (dim !== -1 && dim !== rank - 1) || rank === 0)
    return runOriginal('Softmax', 'cpu', args);
  const backend = args.backend as tf.KernelBackend;
  const out = softmaxRows(backend.readSync(logits.dataId) as Float32Array, logits.shape[rank - 1]);
  return { dataId: backend.write(out, logits.shape, 'float32'), shape: logits.shape, dtype: 'float32' };
}

/** In place of tfjs's cpu Softmax (kept as the fallback for other axes and dtypes). */
export const cpuKernels: tf.KernelConfig[] = [{ kernelName: 'Softmax', backendName: 'cpu', kernelFunc: softmaxCpu }];
