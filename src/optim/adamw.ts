// AdamW as torch.optim.AdamW: bias-corrected EMAs, eps outside the sqrt, decoupled decay lr·κ·w on tensors of
// rank >= 2; `convention: 'reference'` gives the MetaOptimize authors' variant (metaoptimize.md).
import { resolveSpec, type BaseRule, type Convention } from './base-rule.js';
import { FusedOptimizer } from './fused-optimizer.js';
import type { KernelImpl, ParamSpec } from './types.js';

/**
 * Per element at step t (1-based), g the gradient:
 *   standard:   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²
 *               u = (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)
 *   reference:  m ← β1·m + g;          v ← β2·v + g²
 *               u = m / sqrt((1−β2)/(1−β2^t)·v + eps)          (no first-moment correction, eps inside)
 *   w ← w − lr·(u + κ·w)
 */
export const adamwRule: BaseRule = {
  type: 'adamw',
  defaults: { beta1: 0.9, beta2: 0.999, momentum: 0, eps: 1e-8 },
  slots: ['m', 'v'],
  coefficients({ beta1, beta2, eps, convention }, t) {
    if (convention === 'reference') {
      return {
        decay1: beta1,
        gain1: 1,
        decay2: beta2,
        gain2: 1,
        scale1: 1,
        scale2: (1 - beta2) / (1 - beta2 ** t),
        epsIn: eps,
      };
    }
    return {
      decay1: beta1,
      gain1: 1 - beta1,
      decay2: beta2,
      gain2: 1 - beta2,
      scale1: 1 / (1 - beta1 ** t),
      scale2: 1 / (1 - beta2 ** t),
      epsOut: eps,
    };
  },
};

export interface AdamWOptions {
  /** default 0.9 */ beta1?: number;
  /** default 0.999 (nanoGPT uses 0.95) */ beta2?: number;
  /** default 1e-8 */ eps?: number;
  /** default 0 */ weightDecay?: number;
  convention?: Convention;
  impl?: KernelImpl;
}

export class AdamW extends FusedOptimizer {
  constructor(params: ParamSpec[], o: AdamWOptions = {}) {
    const spec = resolveSpec(
      adamwRule,
      { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay ?? 0 },
      o.convention,
    );
    super('adamw', params, adamwRule, spec, o.impl);
  }
}
