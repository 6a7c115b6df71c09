// WebGPU kernel of `NanometaMetaStep`: one dispatch per step for every block (program.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { META_STEP_KERNEL, type MetaStepAttrs } from './index.js';
import { MetaStepProgram } from './program.js';

const metaStepWebGPUKernel: tf.KernelConfig = {
  kernelName: META_STEP_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
    const { state, partials, seg } = inputs as Record<string, tf.TensorInfo>;
    const program = new MetaStepProgram(attrs as unknown as MetaStepAttrs, state.shape[0], partials.shape[0]);
    return (backend as WebGPUBackend).runWebGPUProgram(
      program,
      [state, partials, seg],
      'float32',
      program.uniformData(),
    );
  }) as unknown as tf.KernelFunc,
};

export const webgpuKernels: tf.KernelConfig[] = [metaStepWebGPUKernel];
