// The one list of nanometa's custom tfjs kernels (STYLE 14); backend set-up calls registerKernels() once.
// Kernel names carry the `Nanometa` prefix so they never clash with tfjs's own.
import * as tf from '@tensorflow/tfjs-core';
import { embeddingGradCpuConfig } from './embedding/cpu.js';
import { embeddingGradWebGPUConfig } from './embedding/webgpu.js';
import { rowLogSumExpCpuConfig } from './logsumexp/cpu.js';
import { rowLogSumExpWebGPUConfig } from './logsumexp/webgpu.js';
import { overrideCpuMatMul } from './matmul/cpu.js';
import { overrideCpuBroadcast } from './broadcast/cpu.js';
import { overrideCpuSoftmax } from './softmax/cpu.js';
import { OPTIM_STEP_KERNELS } from './optim-step/index.js';

const KERNELS: tf.KernelConfig[] = [
  embeddingGradCpuConfig, embeddingGradWebGPUConfig,
  rowLogSumExpCpuConfig, rowLogSumExpWebGPUConfig,
  ...OPTIM_STEP_KERNELS,
];

/** Registers every custom kernel for its backend; safe to call more than once. */
export function registerKernels(): void {
  for (const config of KERNELS) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
  overrideCpuMatMul(); // a faster cpu BatchMatMul (kernels/matmul/cpu.ts) in place of tfjs's
  overrideCpuBroadcast(); // broadcasting Add/Sub/Multiply/RealDiv without per-element allocations
  overrideCpuSoftmax(); // row-wise Softmax in one pass per row
}
