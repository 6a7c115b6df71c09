// WebGPU kernel of `NanometaOptimStep` (math in reference.ts): one elementwise program per output (w', m', v', h') and,
// when traced, one partial-sum program for z; see program.ts. The optional input `gs` (a 1-element
// gradient scale, e.g. the clipping coefficient) multiplies g on the device, so clipping needs no read-back.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { OptimStepAttrs } from './index.js';
import { OPTIM_STEP_KERNEL, TRACE_DOT_KERNEL, outputNames } from './index.js';
import { uniformData } from '../../backend/webgpu-raw.js';
import { inPlaceWebGPUKernel } from './in-place.js';
import { OptimStepProgram, optimInputNames, optimUniforms, TraceDotProgram, type OptimOutput } from './program.js';

const size = (t: tf.TensorInfo): number => tf.util.sizeFromShape(t.shape);

function optimStepWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const a = attrs as unknown as OptimStepAttrs;
  const gpu = backend as WebGPUBackend;
  const hasGradScale = inputs.gs != null;
  const names = optimInputNames(a, hasGradScale);
  const ins = names.map((n) => {
    const t = inputs[n];
    if (!t) throw new Error(`${OPTIM_STEP_KERNEL}: input ${n} is required for base ${a.base}`);
    if (t.dtype !== 'float32') throw new Error(`${OPTIM_STEP_KERNEL}: input ${n} must be float32, got ${t.dtype}`);
    return t;
  });
  const shape = inputs.w!.shape;
  const uniforms = uniformData(optimUniforms(a));
  return outputNames(a).map((out) => {
    if (out === 'z') {
      const program = new TraceDotProgram([size(inputs.h!)], hasGradScale);
      const dotIns = hasGradScale ? [inputs.h!, inputs.g!, inputs.gs!] : [inputs.h!, inputs.g!];
      return gpu.runWebGPUProgram(program, dotIns, 'float32', program.uniformData());
    }
    return gpu.runWebGPUProgram(
      new OptimStepProgram(a, out as OptimOutput, shape, hasGradScale),
      ins,
      'float32',
      uniforms,
    );
  });
}

const optimStepWebGPUKernel: tf.KernelConfig = {
  kernelName: OPTIM_STEP_KERNEL,
  backendName: 'webgpu',
  kernelFunc: optimStepWebGPU as unknown as tf.KernelFunc,
};

/** `NanometaTraceDot`: up to three (h, g) pairs' Σ h·g·gs partials in one dispatch (program.ts). */
const traceDotWebGPUKernel: tf.KernelConfig = {
  kernelName: TRACE_DOT_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
    const pairs: tf.TensorInfo[] = [];
    const sizes: number[] = [];
    for (let p = 0; inputs[`h${p}`]; p++) {
      pairs.push(inputs[`h${p}`]!, inputs[`g${p}`]!);
      sizes.push(size(inputs[`h${p}`]!));
    }
    const program = new TraceDotProgram(sizes, inputs.gs != null);
    const ins = inputs.gs ? [...pairs, inputs.gs] : pairs;
    return (backend as WebGPUBackend).runWebGPUProgram(program, ins, 'float32', program.uniformData());
  }) as unknown as tf.KernelFunc,
};

export const webgpuKernels: tf.KernelConfig[] = [optimStepWebGPUKernel, traceDotWebGPUKernel, inPlaceWebGPUKernel];
