// The fused optimizer step's attributes and their per-element math, and the readable stock-op version of that math
// (float32 tf ops): the test oracle for every backend kernel and the fallback on backends with no registered
// `NanometaOptimStep`. Each optimizer's file in src/optim derives the coefficients from its hyper-parameters.
import * as tf from '@tensorflow/tfjs-core';

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

/** Returns new tensors (the caller assigns and disposes them); inputs are not modified. */
export function optimStepReference(inputs: OptimStepInputs, a: OptimStepAttrs): OptimStepOutputs {
  return tf.tidy(() => {
    const { w } = inputs;
    const g = inputs.gs ? tf.mul(inputs.g, tf.reshape(inputs.gs, [])) : inputs.g;
    const s = (x: number) => tf.scalar(x);
    const out: OptimStepOutputs = { w };
    const m = usesM(a.base) ? required(inputs.m, 'm') : null;
    const v = usesV(a.base) ? required(inputs.v, 'v') : null;
    const mNew = m ? tf.add(tf.mul(m, s(a.decay1)), tf.mul(g, s(a.gain1))) : null;
    const vNew = v ? tf.add(tf.mul(v, s(a.decay2)), tf.mul(tf.square(g), s(a.gain2))) : null;
    const denom = () => tf.add(tf.sqrt(tf.add(tf.mul(vNew!, s(a.scale2)), s(a.epsIn))), s(a.epsOut));
    let u: tf.Tensor;
    switch (a.base) {
      case 'adamw':
        u = tf.div(tf.mul(mNew!, s(a.scale1)), denom());
        break;
      case 'rmsprop':
        u = tf.div(g, denom());
        break;
      case 'lion':
        u = tf.sign(tf.add(tf.mul(m!, s(a.interp)), tf.mul(g, s(1 - a.interp))));
        break;
      case 'sgdm':
        u = a.oldMomentum ? m! : mNew!;
        break;
      case 'sgd':
        u = g;
        break;
    }
    const alpha =
      a.alphaIndex >= 0
        ? tf.reshape(tf.slice(tf.reshape(required(inputs.a, 'a'), [-1]), [a.alphaIndex], [1]), [])
        : s(a.alpha);
    const delta = tf.mul(tf.add(u, tf.mul(w, s(a.kappa))), alpha); // δ = α(u + κw)
    out.w = tf.sub(w, delta);
    if (mNew) out.m = mNew;
    if (vNew) out.v = vNew;
    if (a.traced) {
      const h = required(inputs.h, 'h');
      if (a.zOut) out.z = tf.reshape(tf.sum(tf.mul(h, g)), [1]) as tf.Tensor1D; // Σ h·g with the old h
      const carry =
        a.alphaIndex >= 0
          ? tf.mul(s(a.gamma), tf.sub(s(1), tf.mul(alpha, s(a.kappa))))
          : s(a.gamma * (1 - a.alpha * a.kappa));
      out.h = tf.sub(tf.mul(h, carry), delta);
    }
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as OptimStepOutputs;
}

function required(t: tf.Tensor | undefined, name: string): tf.Tensor {
  if (!t) throw new Error(`NanometaOptimStep: input ${name} is required for this base optimizer`);
  return t;
}
