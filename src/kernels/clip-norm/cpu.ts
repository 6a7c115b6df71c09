// cpu kernel of `NanometaClipNorm` (float64 sum of the partials), the reference for the WebGPU program.
import type * as tf from '@tensorflow/tfjs-core';
import type { CpuLikeBackend } from '../cpu-backend.js';
import { CLIP_NORM_KERNEL, type ClipNormAttrs } from './index.js';

const clipNormCpuKernel: tf.KernelConfig = {
  kernelName: CLIP_NORM_KERNEL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const be = backend as CpuLikeBackend;
    const { maxNorm } = attrs as unknown as ClipNormAttrs;
    const partials = be.readSync(inputs.partials!.dataId) as Float32Array;
    let total = 0;
    for (const p of partials) total += p;
    const norm = Math.sqrt(total);
    return be.makeTensorInfo([], 'float32', Float32Array.of(maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : norm));
  },
};

export const cpuKernels: tf.KernelConfig[] = [clipNormCpuKernel];
