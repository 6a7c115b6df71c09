// The fused optimizer-step op: runs the backend's registered `NmOptimStep` kernel (cpu: cpu.ts; webgpu:
// webgpu.ts) or, on backends without one, the stock-op reference (reference.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { OptimStepAttrs, OptimStepInputs, OptimStepOutputs } from './attrs.js';
import { OPTIM_STEP_KERNEL, SUM_SQUARES_KERNEL, outputNames } from './attrs.js';
import { optimStepCpuKernel, sumSquaresCpuKernel } from './cpu.js';
import { optimStepWebGPUKernel, sumSquaresWebGPUKernel } from './webgpu.js';
import { optimStepReference } from './reference.js';

export type { OptimBase, OptimStepAttrs, OptimStepInputs, OptimStepOutputs } from './attrs.js';
export { OPTIM_STEP_KERNEL } from './attrs.js';
export { optimStepReference } from './reference.js';

/** The kernels of this op, for the one registerKernels() list of backend set-up (STYLE 14). */
export const OPTIM_STEP_KERNELS: tf.KernelConfig[] = [optimStepCpuKernel, optimStepWebGPUKernel, sumSquaresCpuKernel, sumSquaresWebGPUKernel];

/** Registers the kernels not yet registered (idempotent; optimStep also calls it on first use). */
export function registerOptimStepKernels(): void {
  for (const k of OPTIM_STEP_KERNELS) {
    if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  }
}

let registered = false;

/**
 * One fused step for one parameter tensor; returns new tensors (inputs untouched). `impl: 'reference'`
 * forces the stock-op version (tests, debugging).
 */
export function optimStep(inputs: OptimStepInputs, attrs: OptimStepAttrs, impl: 'auto' | 'reference' = 'auto'): OptimStepOutputs {
  if (!registered) {
    registerOptimStepKernels();
    registered = true;
  }
  if (impl === 'reference' || !tf.getKernel(OPTIM_STEP_KERNEL, tf.getBackend())) return optimStepReference(inputs, attrs);
  const named: tf.NamedTensorMap = { w: inputs.w, g: inputs.g };
  if (inputs.m) named.m = inputs.m;
  if (inputs.v) named.v = inputs.v;
  if (inputs.h) named.h = inputs.h;
  if (inputs.gs) named.gs = inputs.gs;
  const results = tf.engine().runKernel<tf.Tensor[]>(OPTIM_STEP_KERNEL, named, attrs as unknown as tf.NamedAttrMap);
  const out: Partial<Record<keyof OptimStepOutputs, tf.Tensor>> = {};
  outputNames(attrs).forEach((name, i) => (out[name] = results[i]));
  return out as OptimStepOutputs;
}

/** Σ x² of one tensor as a 1-D tensor of partial sums (sum them for the total); stock ops where no kernel is registered. */
export function sumSquaresPartials(x: tf.Tensor): tf.Tensor1D {
  if (!registered) {
    registerOptimStepKernels();
    registered = true;
  }
  if (!tf.getKernel(SUM_SQUARES_KERNEL, tf.getBackend())) return tf.tidy(() => tf.reshape(tf.sum(tf.square(x)), [1]) as tf.Tensor1D);
  return tf.engine().runKernel(SUM_SQUARES_KERNEL, { x }) as tf.Tensor1D;
}
