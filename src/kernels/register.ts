// The one list of nanometa's tfjs kernels (STYLE 14), registered by one set-up call after the backend is initialised:
// setUpBackend (entry scripts, tests) = backend/select's initBackend, then registerKernels for the backend it chose.
// Each op folder exports one list per backend file (`cpuKernels` in cpu.ts, `webgpuKernels` in webgpu.ts,
// `wasmKernels` in wasm.ts); a new backend adds its files' lists under its name below. Kernel names carry the `Nanometa` prefix; a config named after
// one of tfjs's own kernels (BatchMatMul, Add, Softmax, ...) replaces it, keeping it as the fallback (override.ts).
// Folders that only replace tfjs kernels (matmul, broadcast, softmax) have no index.ts: their op is tfjs's own
// (tf.matMul, tf.add, tf.softmax), and tfjs's kernel is the reference.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo, type BackendOptions, type BackendChoice } from '../backend/select.js';
import { BackendError } from '../util/errors.js';
import { cpuKernels as attentionCpu } from './attention/cpu.js';
import { webgpuKernels as attentionWebGPU } from './attention/webgpu.js';
import { cpuKernels as broadcastCpu } from './broadcast/cpu.js';
import { cpuKernels as causalSoftmaxCpu } from './causal-softmax/cpu.js';
import { webgpuKernels as causalSoftmaxWebGPU } from './causal-softmax/webgpu.js';
import { cpuKernels as clipNormCpu } from './clip-norm/cpu.js';
import { webgpuKernels as clipNormWebGPU } from './clip-norm/webgpu.js';
import { cpuKernels as crossEntropyCpu } from './cross-entropy/cpu.js';
import { webgpuKernels as crossEntropyWebGPU } from './cross-entropy/webgpu.js';
import { cpuKernels as embeddingCpu } from './embedding/cpu.js';
import { embeddingGradients } from './embedding/index.js';
import { webgpuKernels as embeddingWebGPU } from './embedding/webgpu.js';
import { cpuKernels as geluCpu } from './gelu/cpu.js';
import { webgpuKernels as geluWebGPU } from './gelu/webgpu.js';
import { cpuKernels as layerNormCpu } from './layernorm/cpu.js';
import { layerNormGradients } from './layernorm/index.js';
import { webgpuKernels as layerNormWebGPU } from './layernorm/webgpu.js';
import { cpuKernels as linearCpu } from './linear/cpu.js';
import { webgpuKernels as linearWebGPU } from './linear/webgpu.js';
import { cpuKernels as logSumExpCpu } from './logsumexp/cpu.js';
import { cpuKernels as lrFreeStepCpu } from './lrfree-step/cpu.js';
import { webgpuKernels as lrFreeStepWebGPU } from './lrfree-step/webgpu.js';
import { webgpuKernels as logSumExpWebGPU } from './logsumexp/webgpu.js';
import { cpuKernels as matMulCpu } from './matmul/cpu.js';
import { webgpuKernels as matMulWebGPU } from './matmul/webgpu.js';
import { cpuKernels as metaStepCpu } from './meta-step/cpu.js';
import { webgpuKernels as metaStepWebGPU } from './meta-step/webgpu.js';
import { cpuKernels as optimStepCpu } from './optim-step/cpu.js';
import { webgpuKernels as optimStepWebGPU } from './optim-step/webgpu.js';
import { wasmKernels as attentionWasm } from './attention/wasm.js';
import { wasmKernels as causalSoftmaxWasm } from './causal-softmax/wasm.js';
import { wasmKernels as clipNormWasm } from './clip-norm/wasm.js';
import { wasmKernels as crossEntropyWasm } from './cross-entropy/wasm.js';
import { wasmKernels as embeddingWasm } from './embedding/wasm.js';
import { wasmKernels as geluWasm } from './gelu/wasm.js';
import { wasmKernels as layerNormWasm } from './layernorm/wasm.js';
import { wasmKernels as linearWasm } from './linear/wasm.js';
import { wasmKernels as logSumExpWasm } from './logsumexp/wasm.js';
import { wasmKernels as lrFreeStepWasm } from './lrfree-step/wasm.js';
import { wasmKernels as matMulWasm } from './matmul/wasm.js';
import { wasmKernels as metaStepWasm } from './meta-step/wasm.js';
import { wasmKernels as optimStepWasm } from './optim-step/wasm.js';
import { wasmKernels as passThroughWasm } from './pass-through.js';
import { installKernel } from './override.js';
import { cpuKernels as softmaxCpu } from './softmax/cpu.js';

/** Kernels by tfjs backend name. A backend with no entry (tensorflow) runs every op's stock-op reference. */
export const KERNELS: Readonly<Record<string, readonly tf.KernelConfig[]>> = {
  cpu: [
    ...attentionCpu,
    ...broadcastCpu,
    ...causalSoftmaxCpu,
    ...clipNormCpu,
    ...crossEntropyCpu,
    ...embeddingCpu,
    ...geluCpu,
    ...layerNormCpu,
    ...linearCpu,
    ...logSumExpCpu,
    ...lrFreeStepCpu,
    ...matMulCpu,
    ...metaStepCpu,
    ...optimStepCpu,
    ...softmaxCpu,
  ],
  webgpu: [
    ...attentionWebGPU,
    ...causalSoftmaxWebGPU,
    ...clipNormWebGPU,
    ...crossEntropyWebGPU,
    ...embeddingWebGPU,
    ...geluWebGPU,
    ...layerNormWebGPU,
    ...linearWebGPU,
    ...logSumExpWebGPU,
    ...lrFreeStepWebGPU,
    ...matMulWebGPU,
    ...metaStepWebGPU,
    ...optimStepWebGPU,
  ],
  // products on XNNPACK (untransposed: tfjs-wasm runs transposed products in a slow loop), attention, GELU and the
  // loss's exp in nanometa's SIMD kernels (backend/simd.ts), the rest cpu.ts's loops over views of the wasm heap
  // (backend/wasm-heap.ts); Identity as a second handle, not a copy (pass-through.ts)
  wasm: [
    ...attentionWasm,
    ...causalSoftmaxWasm,
    ...clipNormWasm,
    ...crossEntropyWasm,
    ...embeddingWasm,
    ...geluWasm,
    ...layerNormWasm,
    ...linearWasm,
    ...logSumExpWasm,
    ...lrFreeStepWasm,
    ...matMulWasm,
    ...metaStepWasm,
    ...optimStepWasm,
    ...passThroughWasm,
  ],
};

/** Gradients of the multi-output kernels (tf.customGrad takes single-output functions); the same on every backend. */
export const GRADIENTS: readonly tf.GradConfig[] = [...embeddingGradients, ...layerNormGradients];

/** Registers the kernels of an initialised backend, and the gradients; calling it again does nothing. */
export function registerKernels(backendName: string): void {
  if (!tf.findBackend(backendName)) {
    throw new BackendError(
      `registerKernels: backend '${backendName}' is not initialised`,
      'call setUpBackend (kernels/register.ts)',
    );
  }
  for (const config of KERNELS[backendName] ?? []) {
    if (config.backendName !== backendName)
      throw new Error(`${config.kernelName} is listed for ${backendName} but says ${config.backendName}`);
    installKernel(config);
  }
  for (const grad of GRADIENTS) if (!tf.getGradient(grad.kernelName)) tf.registerGradient(grad);
}

/** Activates a tfjs backend (backend/select.ts) and registers nanometa's kernels for it; says what was chosen. */
export async function setUpBackend(name: BackendChoice = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  const info = await initBackend(name, opts);
  registerKernels(info.name);
  return info;
}
