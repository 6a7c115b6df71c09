// The MetaOptimize meta step `NanometaMetaStep` as one kernel call: z per block from the step's Σh·g partial sums,
// then β's update (the same per-element math as NanometaOptimStep, with g = z and κ = 0), then α = exp(β); cpu
// and WebGPU kernels. MetaOptimize uses it where reading z back every step would stall the device (WebGPU);
// elsewhere it updates β in float64 on the host (optim/metaoptimize/meta-update.ts), which is this kernel's
// reference (test/optim/meta-step.test.ts compares the two).
import * as tf from '@tensorflow/tfjs-core';
import type { OptimStepAttrs } from '../optim-step/index.js';

export const META_STEP_KERNEL = 'NanometaMetaStep';

/** Columns of the per-block state tensor (blocks, STATE_COLS). */
export const COL = {
  /** log step size β */
  beta: 0,
  /** meta moments m̄, v̄ */
  m: 1,
  v: 2,
  /** α for the next step: exp(β), or the previous α when β did not change (so α0 stays exact) */
  alpha: 3,
  /** α the step just taken used */
  used: 4,
  /** z = Σ h·g of the step just taken */
  z: 5,
  /** first step whose z (badZ) or new β (badBeta) was not finite; 0 = none so far */
  badZ: 6,
  badBeta: 7,
} as const;
export const STATE_COLS = 8;

/**
 * The meta optimizer as NanometaOptimStep coefficients (alpha = the meta lr η, kappa = 0, traced false; see
 * optim-step/reference.ts), plus `moves` (false for meta `fixed`: β never changes) and `t`, the 1-based step
 * recorded in badZ/badBeta.
 */
export interface MetaStepAttrs extends OptimStepAttrs {
  moves: boolean;
  t: number;
}

/** Inputs: the state (blocks, STATE_COLS), the partial sums (P) and each partial's block (P, int32). */
export interface MetaStepInputs {
  state: tf.Tensor;
  partials: tf.Tensor;
  seg: tf.Tensor;
}

/** True when the current backend runs the meta step as a kernel. */
export function hasMetaStepKernel(): boolean {
  return tf.getKernel(META_STEP_KERNEL, tf.getBackend()) !== undefined;
}

/** The new state (blocks, STATE_COLS); inputs are untouched. */
export function metaStep({ state, partials, seg }: MetaStepInputs, attrs: MetaStepAttrs): tf.Tensor2D {
  if (state.rank !== 2 || state.shape[1] !== STATE_COLS)
    throw new TypeError(`metaStep: state must be (blocks, ${STATE_COLS}), got [${state.shape}]`);
  if (partials.size !== seg.size || seg.dtype !== 'int32')
    throw new TypeError(
      `metaStep: seg must be int32 with one block per partial (${partials.size}), got ${seg.dtype} [${seg.shape}]`,
    );
  return tf
    .engine()
    .runKernel(META_STEP_KERNEL, { state, partials, seg }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
