// WebGPU kernels for NanometaGelu / NanometaGeluGrad: one dispatch each over the flattened tensor
// (the stock-op GELU takes ~8 dispatches forward and more backward).
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GELU, GELU_GRAD } from './index.js';
import { GeluGradProgram, GeluProgram } from './program.js';

const flat = (t: tf.TensorInfo, size: number): tf.TensorInfo => ({ dataId: t.dataId, shape: [size], dtype: t.dtype });

function geluWebGPU({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const size = tf.util.sizeFromShape(x.shape);
  const out = (backend as WebGPUBackend).runWebGPUProgram(new GeluProgram(size), [flat(x, size)], 'float32'); // (size)
  return { dataId: out.dataId, shape: x.shape, dtype: 'float32' };
}

function geluGradWebGPU({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const size = tf.util.sizeFromShape(x.shape);
  const program = new GeluGradProgram(size);
  const out = (backend as WebGPUBackend).runWebGPUProgram(program, [flat(x, size), flat(dy, size)], 'float32'); // (size)
  return { dataId: out.dataId, shape: x.shape, dtype: 'float32' };
}

const geluWebGPUConfig: tf.KernelConfig = { kernelName: GELU, backendName: 'webgpu', kernelFunc: geluWebGPU };
const geluGradWebGPUConfig: tf.KernelConfig = {
  kernelName: GELU_GRAD,
  backendName: 'webgpu',
  kernelFunc: geluGradWebGPU,
};

export const webgpuKernels: tf.KernelConfig[] = [geluWebGPUConfig, geluGradWebGPUConfig];
