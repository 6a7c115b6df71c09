// The one list of nanometa's custom tfjs kernels (STYLE 14); backend set-up calls registerKernels() once.
// Kernel names carry the `Nanometa` prefix so they never clash with tfjs's own.
import * as tf from '@tensorflow/tfjs-core';
import { embeddingGradCpuConfig } from './embedding/cpu.js';
import { embeddingGradWebGPUConfig } from './embedding/webgpu.js';
import { rowLogSumExpCpuConfig } from './logsumexp/cpu.js';
import { rowLogSumExpWebGPUConfig } from './logsumexp/webgpu.js';
import { crossEntropyGradCpuConfig, rowPickCpuConfig } from './cross-entropy/cpu.js';
import { crossEntropyGradWebGPUConfig, rowPickWebGPUConfig } from './cross-entropy/webgpu.js';
import { causalSoftmaxCpuConfig, causalSoftmaxGradCpuConfig } from './causal-softmax/cpu.js';
import { causalSoftmaxGradWebGPUConfig, causalSoftmaxWebGPUConfig } from './causal-softmax/webgpu.js';
import { geluCpuConfig, geluGradCpuConfig } from './gelu/cpu.js';
import { geluGradWebGPUConfig, geluWebGPUConfig } from './gelu/webgpu.js';
import { layerNormCpuConfig, layerNormGradCpuConfig } from './layernorm/cpu.js';
import { layerNormGradWebGPUConfig, layerNormWebGPUConfig } from './layernorm/webgpu.js';
import { overrideCpuMatMul } from './matmul/cpu.js';
import { overrideWebGPUMatMul } from './matmul/webgpu.js';
import { overrideWasmMatMul } from './matmul/wasm.js';
import { overrideCpuBroadcast } from './broadcast/cpu.js';
import { overrideCpuSoftmax } from './softmax/cpu.js';
import { OPTIM_STEP_KERNELS } from './optim-step/index.js';
import { columnSumCpuConfig, geluLinearGradCpuConfig, linearCpuConfig } from './linear/cpu.js';
import { columnSumWebGPUConfig, geluLinearGradWebGPUConfig, linearWebGPUConfig } from './linear/webgpu.js';
import { registerLayerNormResidual } from './layernorm/residual.js';
import { registerEmbedPositions } from './embedding/positions.js';
import { causalAttentionCpuConfig, causalAttentionGradCpuConfig } from './attention/cpu.js';
import { causalAttentionGradWebGPUConfig, causalAttentionWebGPUConfig } from './attention/webgpu.js';
import { META_STEP_KERNELS } from './meta-step/index.js';
import { CLIP_NORM_KERNELS } from './clip-norm/index.js';
import { wasmKernels as embeddingWasm } from './embedding/wasm.js';
import { wasmKernels as logsumexpWasm } from './logsumexp/wasm.js';
import { wasmKernels as crossEntropyWasm } from './cross-entropy/wasm.js';
import { wasmKernels as layernormWasm } from './layernorm/wasm.js';
import { wasmKernels as geluWasm } from './gelu/wasm.js';
import { wasmKernels as causalSoftmaxWasm } from './causal-softmax/wasm.js';
import { wasmKernels as attentionWasm } from './attention/wasm.js';
import { wasmKernels as linearWasm } from './linear/wasm.js';
import { wasmKernels as optimStepWasm } from './optim-step/wasm.js';
import { wasmKernels as metaStepWasm } from './meta-step/wasm.js';
import { wasmKernels as clipNormWasm } from './clip-norm/wasm.js';

const KERNELS: tf.KernelConfig[] = [
  embeddingGradCpuConfig, embeddingGradWebGPUConfig,
  rowLogSumExpCpuConfig, rowLogSumExpWebGPUConfig,
  rowPickCpuConfig, crossEntropyGradCpuConfig, rowPickWebGPUConfig, crossEntropyGradWebGPUConfig,
  layerNormCpuConfig, layerNormGradCpuConfig, layerNormWebGPUConfig, layerNormGradWebGPUConfig,
  geluCpuConfig, geluGradCpuConfig, geluWebGPUConfig, geluGradWebGPUConfig,
  causalSoftmaxCpuConfig, causalSoftmaxGradCpuConfig, causalSoftmaxWebGPUConfig, causalSoftmaxGradWebGPUConfig,
  causalAttentionCpuConfig, causalAttentionGradCpuConfig, causalAttentionWebGPUConfig, causalAttentionGradWebGPUConfig,
  ...OPTIM_STEP_KERNELS,
  linearCpuConfig, geluLinearGradCpuConfig, columnSumCpuConfig, linearWebGPUConfig, geluLinearGradWebGPUConfig, columnSumWebGPUConfig,
  ...META_STEP_KERNELS,
  ...CLIP_NORM_KERNELS,
  // wasm (issue 13): products on XNNPACK, the rest cpu.ts's loops over views of the wasm heap
  ...embeddingWasm, ...logsumexpWasm, ...crossEntropyWasm, ...layernormWasm, ...geluWasm, ...causalSoftmaxWasm,
  ...attentionWasm, ...linearWasm, ...optimStepWasm, ...metaStepWasm, ...clipNormWasm,
];

/** Registers every custom kernel for its backend; safe to call more than once. */
export function registerKernels(): void {
  for (const config of KERNELS) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
  registerLayerNormResidual(); // kernels and gradient of NanometaLayerNormResidual (two outputs: customGrad has one)
  registerEmbedPositions(); // kernels and gradient of NanometaEmbedPositions (two outputs)
  overrideCpuMatMul(); // a faster cpu BatchMatMul (kernels/matmul/cpu.ts) in place of tfjs's
  overrideCpuBroadcast(); // broadcasting Add/Sub/Multiply/RealDiv without per-element allocations
  overrideCpuSoftmax(); // row-wise Softmax in one pass per row
  overrideWasmMatMul(); // wasm products untransposed, so XNNPACK runs them; a no-op until the wasm backend is loaded
  overrideWebGPUMatMul(); // tiled SGEMM (kernels/matmul/program.ts); a no-op until the webgpu backend is loaded
}
