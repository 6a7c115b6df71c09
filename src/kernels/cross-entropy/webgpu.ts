// WebGPU kernels for NanometaRowPick and NanometaCrossEntropyGrad: one dispatch each (the stock-op softmax minus
// one-hot takes ~6 dispatches and two (n, V) temporaries).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { CROSS_ENTROPY_GRAD, ROW_PICK, type CrossEntropyGradAttrs } from './index.js';
import { CrossEntropyGradProgram, RowPickProgram } from './program.js';

function rowPickWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { logits, labels, lse } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo; lse?: tf.TensorInfo };
  const scale = (attrs as unknown as Partial<CrossEntropyGradAttrs> | undefined)?.scale ?? 1; // rowPick passes no attrs
  const program = new RowPickProgram(logits.shape[0], lse !== undefined);
  return (backend as WebGPUBackend).runWebGPUProgram(
    program,
    lse ? [logits, labels, lse] : [logits, labels],
    'float32',
    [{ type: 'float32', data: [scale] }],
  ); // (n)
}

function crossEntropyGradWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { logits, lse, labels } = inputs as { logits: tf.TensorInfo; lse: tf.TensorInfo; labels: tf.TensorInfo };
  const { scale } = attrs as unknown as CrossEntropyGradAttrs;
  const [n, V] = logits.shape;
  const program = new CrossEntropyGradProgram(n, V, scale);
  return (backend as WebGPUBackend).runWebGPUProgram(program, [logits, lse, labels], 'float32', program.uniformData()); // (n, V)
}

const rowPickWebGPUConfig: tf.KernelConfig = { kernelName: ROW_PICK, backendName: 'webgpu', kernelFunc: rowPickWebGPU };
const crossEntropyGradWebGPUConfig: tf.KernelConfig = {
  kernelName: CROSS_ENTROPY_GRAD,
  backendName: 'webgpu',
  kernelFunc: crossEntropyGradWebGPU,
};

export const webgpuKernels: tf.KernelConfig[] = [rowPickWebGPUConfig, crossEntropyGradWebGPUConfig];
