// Base-optimizer hyper-parameters with their defaults filled in, and their translation into the fused
// kernel's coefficients for both conventions of ../shared/reference/metaoptimize.md ("Base directions u").
import type { BaseOptimizerConfig } from '../config/schema.js';
import type { OptimBase, OptimStepAttrs } from '../kernels/optim-step/index.js';

export type Convention = 'standard' | 'reference';

/** A base optimizer, fully resolved (no optional keys left). */
export interface BaseSpec {
  type: OptimBase;
  beta1: number;
  beta2: number;
  momentum: number;
  eps: number;
  weightDecay: number;
  convention: Convention;
}

/** Defaults for keys the config leaves unset (PyTorch's and the Lion paper's). */
export const BASE_DEFAULTS: Record<OptimBase, { beta1: number; beta2: number; momentum: number; eps: number }> = {
  adamw: { beta1: 0.9, beta2: 0.999, momentum: 0, eps: 1e-8 },
  lion: { beta1: 0.9, beta2: 0.99, momentum: 0, eps: 0 },
  sgdm: { beta1: 0, beta2: 0, momentum: 0.9, eps: 0 },
  sgd: { beta1: 0, beta2: 0, momentum: 0, eps: 0 },
  rmsprop: { beta1: 0, beta2: 0.99, momentum: 0, eps: 1e-8 },
};

/** The authors' code adds this inside the sqrt (reference convention) unless `eps` is set. */
export const REFERENCE_EPS = 1e-10;

export function resolveBaseSpec(cfg: Omit<BaseOptimizerConfig, 'type'> & { type: OptimBase }, convention: Convention = 'standard'): BaseSpec {
  const d = BASE_DEFAULTS[cfg.type];
  const eps = cfg.eps ?? (convention === 'reference' ? REFERENCE_EPS : d.eps);
  return {
    type: cfg.type,
    beta1: cfg.beta1 ?? d.beta1,
    beta2: cfg.beta2 ?? d.beta2,
    momentum: cfg.momentum ?? d.momentum,
    eps,
    weightDecay: cfg.weightDecay,
    convention,
  };
}

/** Decoupled weight decay of one tensor: standard = only rank >= 2 (not biases, norm gains); reference = all. */
export function decayOf(spec: BaseSpec, shape: readonly number[]): number {
  return spec.convention === 'reference' || shape.length >= 2 ? spec.weightDecay : 0;
}

/**
 * Kernel coefficients for step t (1-based) with step size alpha. Standard: PyTorch AdamW/RMSprop/SGD
 * (EMAs with (1-β), bias correction, eps outside the sqrt); reference: sum-form moments, no first-moment
 * bias correction, (1-β2)/(1-β2^t) and eps inside the sqrt, SGDm direction = momentum before g.
 */
export function kernelAttrs(spec: BaseSpec, alpha: number, kappa: number, t: number, trace: { gamma: number } | null): OptimStepAttrs {
  const ref = spec.convention === 'reference';
  const a: OptimStepAttrs = {
    base: spec.type, alpha, kappa, decay1: 0, gain1: 0, decay2: 0, gain2: 0, scale1: 1, scale2: 1,
    epsIn: 0, epsOut: 0, interp: 0, oldMomentum: false, traced: trace !== null, zOut: trace !== null, gamma: trace?.gamma ?? 0, alphaIndex: -1, inPlace: false,
  };
  switch (spec.type) {
    case 'adamw':
      a.decay1 = spec.beta1; a.gain1 = ref ? 1 : 1 - spec.beta1;
      a.decay2 = spec.beta2; a.gain2 = ref ? 1 : 1 - spec.beta2;
      a.scale1 = ref ? 1 : 1 / (1 - spec.beta1 ** t);
      a.scale2 = ref ? (1 - spec.beta2) / (1 - spec.beta2 ** t) : 1 / (1 - spec.beta2 ** t);
      if (ref) a.epsIn = spec.eps; else a.epsOut = spec.eps;
      break;
    case 'rmsprop':
      a.decay2 = spec.beta2; a.gain2 = ref ? 1 : 1 - spec.beta2;
      a.scale2 = ref ? (1 - spec.beta2) / (1 - spec.beta2 ** t) : 1;
      if (ref) a.epsIn = spec.eps; else a.epsOut = spec.eps;
      break;
    case 'lion':
      a.interp = spec.beta1; a.decay1 = spec.beta2; a.gain1 = 1 - spec.beta2;
      break;
    case 'sgdm':
      a.decay1 = spec.momentum; a.gain1 = ref ? 1 - spec.momentum : 1; a.oldMomentum = ref;
      break;
    case 'sgd':
      break;
  }
  return a;
}

/** Per-parameter state slots the base keeps (saved as `<param>/m`, `<param>/v`). */
export function stateSlots(type: OptimBase): ('m' | 'v')[] {
  return type === 'adamw' ? ['m', 'v'] : type === 'rmsprop' ? ['v'] : type === 'sgd' ? [] : ['m'];
}
