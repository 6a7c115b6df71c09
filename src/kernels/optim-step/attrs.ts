// Inputs, attributes and outputs of the fused optimizer-step kernel `NmOptimStep`: one pass per parameter
// tensor doing the base update, the weight update, the MetaOptimize trace update and the partial z sum.
// The attributes are convention-free coefficients (src/optim/base-spec.ts derives them), so every backend
// program is the same few lines of arithmetic. See ../shared/reference/metaoptimize.md.
import type * as tf from '@tensorflow/tfjs-core';

export const OPTIM_STEP_KERNEL = 'NmOptimStep';
/**
 * Σ h·g (times gs) for up to TRACE_DOT_PAIRS (h, g) pairs in one call, inputs h0, g0, h1, g1, … (+ gs):
 * MetaOptimize's z for several parameter tensors at once, and (with h = g = x) Σ x² for gradient clipping. Output: the pairs' partial sums one after another
 * (cpu: one per pair; webgpu: one per 4096 elements), see traceDotLengths.
 */
export const TRACE_DOT_KERNEL = 'NanometaTraceDot';
/** Pairs per NanometaTraceDot call: 3 pairs + gs + the output = 8 storage buffers, WebGPU's guaranteed limit. */
export const TRACE_DOT_PAIRS = 3;

export type OptimBase = 'adamw' | 'lion' | 'sgdm' | 'sgd' | 'rmsprop';

/**
 * Per-element math, in this order (all inputs are the values before the step):
 *   m' = decay1·m + gain1·g                     (adamw, lion, sgdm)
 *   v' = decay2·v + gain2·g²                    (adamw, rmsprop)
 *   u  = adamw:   scale1·m' / (sqrt(scale2·v' + epsIn) + epsOut)
 *        rmsprop: g / (sqrt(scale2·v' + epsIn) + epsOut)
 *        lion:    sign(interp·m + (1 − interp)·g)     (old m: standard Lion order)
 *        sgdm:    oldMomentum ? m : m'
 *        sgd:     g
 *   δ  = alpha·(u + kappa·w);  w' = w − δ
 *   traced only:  z = Σ h·g  (old h);  h' = gamma·(1 − alpha·kappa)·h − δ
 */
export interface OptimStepAttrs {
  base: OptimBase;
  alpha: number;
  kappa: number;
  decay1: number;
  gain1: number;
  decay2: number;
  gain2: number;
  scale1: number;
  scale2: number;
  epsIn: number;
  epsOut: number;
  interp: number;
  oldMomentum: boolean;
  /** true: input h is present, outputs h' (and z when zOut). */
  traced: boolean;
  /**
   * Traced only: also output z. False when the caller sums h·g itself with `NanometaTraceDot` over several
   * tensors at once (WebGPU, where z is a separate pass anyway: fewer dispatches than one per tensor).
   */
  zOut: boolean;
  gamma: number;
  /**
   * -1: the step size is `alpha`. k ≥ 0: it is element k of input `a` (a float32 tensor on the device),
   * so a step size computed on the device (MetaOptimize's α = exp(β)) is used without a read-back.
   */
  alphaIndex: number;
  /**
   * true: the caller assigns w', m', v', h' to the variables that held w, m, v, h right away and never reads
   * those old values again, so a backend may write an output into its input's storage when no other tensor
   * shares it (cpu: refCount 1). Saves allocating (and zero-filling and collecting) four arrays per tensor.
   * false: inputs are left untouched (pure op; tests, the reference).
   */
  inPlace: boolean;
}

/**
 * Inputs by name; m only for adamw/lion/sgdm, v only for adamw/rmsprop, h only when traced. gs, optional,
 * is a 1-element gradient scale applied to g before everything else (the clipping coefficient, kept on the
 * device so clipping needs no read-back); z then sums h·(gs·g). a, optional, holds the step size (alphaIndex).
 */
export interface OptimStepInputs {
  w: tf.Tensor;
  g: tf.Tensor;
  m?: tf.Tensor;
  v?: tf.Tensor;
  h?: tf.Tensor;
  gs?: tf.Tensor;
  /** The step sizes on the device when attrs.alphaIndex ≥ 0 (any shape; read flat at alphaIndex). */
  a?: tf.Tensor;
}

/**
 * Outputs: w' always; m', v', h' when the matching input is present; z when traced, a float32 1-D tensor of
 * length k ≥ 1 whose elements sum to Σ h·g (cpu: k = 1; a GPU program may return one partial per workgroup).
 */
export interface OptimStepOutputs {
  w: tf.Tensor;
  m?: tf.Tensor;
  v?: tf.Tensor;
  h?: tf.Tensor;
  z?: tf.Tensor1D;
}

export const usesM = (base: OptimBase): boolean => base === 'adamw' || base === 'lion' || base === 'sgdm';
export const usesV = (base: OptimBase): boolean => base === 'adamw' || base === 'rmsprop';

/** Output order of the kernel's TensorInfo[]: w, then m, v, h, z for those present. */
export function outputNames(attrs: OptimStepAttrs): (keyof OptimStepOutputs)[] {
  const names: (keyof OptimStepOutputs)[] = ['w'];
  if (usesM(attrs.base)) names.push('m');
  if (usesV(attrs.base)) names.push('v');
  if (attrs.traced) names.push('h');
  if (attrs.traced && attrs.zOut) names.push('z');
  return names;
}
