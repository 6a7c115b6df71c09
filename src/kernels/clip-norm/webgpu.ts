// WebGPU kernels of gradient clipping (program.ts): `NanometaSumSquaresInto` writes the Σ x² partials of up
// to seven tensors into a shared tensor in one raw pass; `NanometaClipNorm` turns the partials into the norm
// or the clipping scale in one dispatch.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { runRawPass } from '../../backend/webgpu-raw.js';
import { CLIP_NORM_KERNEL, SUM_SQUARES_INTO_KERNEL, type ClipNormAttrs, type SumSquaresIntoAttrs } from './index.js';
import {
  ClipNormProgram,
  sumSquaresHelpers,
  sumSquaresMain,
  sumSquaresUniforms,
  SUM_SQUARES_TENSORS,
  SUM_SQUARES_WG,
} from './program.js';

const sumSquaresIntoWebGPUKernel: tf.KernelConfig = {
  kernelName: SUM_SQUARES_INTO_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs }: Parameters<tf.KernelFunc>[0]) => {
    const { partOffset } = attrs as unknown as SumSquaresIntoAttrs;
    const xs: tf.TensorInfo[] = [];
    for (let p = 0; inputs[`x${p}`]; p++) xs.push(inputs[`x${p}`]!);
    if (xs.length < 1 || xs.length > SUM_SQUARES_TENSORS)
      throw new Error(`${SUM_SQUARES_INTO_KERNEL}: 1 to ${SUM_SQUARES_TENSORS} tensors, got ${xs.length}`);
    const uniforms = sumSquaresUniforms(
      xs.map((x) => tf.util.sizeFromShape(x.shape)),
      partOffset,
    );
    runRawPass({
      key: `nanometaSumSquares_${xs.length}`,
      name: SUM_SQUARES_INTO_KERNEL,
      bindings: [
        ...xs.map((tensor, p) => ({ name: `x${p}`, tensor })),
        { name: 'partials', tensor: inputs.partials!, write: true },
      ],
      uniforms,
      workgroupSize: SUM_SQUARES_WG,
      workgroups: uniforms.at(-1)!.value,
      helpers: sumSquaresHelpers,
      main: () => sumSquaresMain(xs.length),
    });
    return [];
  }) as unknown as tf.KernelFunc,
};

const clipNormWebGPUKernel: tf.KernelConfig = {
  kernelName: CLIP_NORM_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
    const { maxNorm } = attrs as unknown as ClipNormAttrs;
    const program = new ClipNormProgram(maxNorm > 0);
    const parts = tf.util.sizeFromShape(inputs.partials!.shape);
    const info = (backend as WebGPUBackend).runWebGPUProgram(program, [inputs.partials!], 'float32', [
      { type: 'int32', data: [parts] },
      { type: 'float32', data: [maxNorm] },
    ]);
    return { ...info, shape: [] };
  }) as unknown as tf.KernelFunc,
};

export const webgpuKernels: tf.KernelConfig[] = [sumSquaresIntoWebGPUKernel, clipNormWebGPUKernel];
