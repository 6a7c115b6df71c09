// The MetaOptimize meta step `NanometaMetaStep` on the device: z per block from the step's Σh·g partial sums,
// then β's update (the same per-element math as NmOptimStep, with g = z and κ = 0), then α = exp(β). The
// per-block state lives in one (blocks, STATE_COLS) float32 tensor, so training never waits to read it.
import type { OptimStepAttrs } from '../optim-step/attrs.js';

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
 * The meta optimizer as NmOptimStep coefficients (alpha = the meta lr η, kappa = 0, traced false; see
 * optim-step/attrs.ts), plus `moves` (false for meta `fixed`: β never changes) and `t`, the 1-based step
 * recorded in badZ/badBeta.
 */
export interface MetaStepAttrs extends OptimStepAttrs {
  moves: boolean;
  t: number;
}

/** Inputs: the state (blocks, STATE_COLS), the partial sums (P) and each partial's block (P, int32). */
export interface MetaStepInputs {
  state: import('@tensorflow/tfjs-core').Tensor;
  partials: import('@tensorflow/tfjs-core').Tensor;
  seg: import('@tensorflow/tfjs-core').Tensor;
}
