// The MetaOptimize meta step as one kernel call (attrs.ts): cpu and WebGPU kernels, registered with the
// others in kernels/register.ts. MetaOptimize uses it where reading z back every step would stall the
// device (WebGPU); elsewhere it updates β in float64 on the host (optim/metaoptimize/meta-update.ts).
import * as tf from '@tensorflow/tfjs-core';
import { META_STEP_KERNEL, STATE_COLS, type MetaStepAttrs, type MetaStepInputs } from './attrs.js';
import { metaStepCpuKernel } from './cpu.js';
import { metaStepWebGPUKernel } from './webgpu.js';

export { COL, META_STEP_KERNEL, STATE_COLS, type MetaStepAttrs } from './attrs.js';

export const META_STEP_KERNELS: tf.KernelConfig[] = [metaStepCpuKernel, metaStepWebGPUKernel];

/** True when the current backend runs the meta step as a kernel. */
export function hasMetaStepKernel(): boolean {
  return tf.getKernel(META_STEP_KERNEL, tf.getBackend()) !== undefined;
}

/** The new state (blocks, STATE_COLS); inputs are untouched. */
export function metaStep({ state, partials, seg }: MetaStepInputs, attrs: MetaStepAttrs): tf.Tensor2D {
  if (state.rank !== 2 || state.shape[1] !== STATE_COLS) throw new TypeError(`metaStep: state must be (blocks, ${STATE_COLS}), got [${state.shape}]`);
  if (partials.size !== seg.size || seg.dtype !== 'int32') throw new TypeError(`metaStep: seg must be int32 with one block per partial (${partials.size}), got ${seg.dtype} [${seg.shape}]`);
  if (!hasMetaStepKernel()) for (const k of META_STEP_KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  return tf.engine().runKernel(META_STEP_KERNEL, { state, partials, seg }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
