// RMSProp as torch.optim.RMSprop (no centering, no momentum), with decoupled weight decay lr·κ·w;
// `convention: 'reference'` is the MetaOptimize authors' variant (metaoptimize.md).
import { resolveSpec, type BaseRule, type Convention } from './base-rule.js';
import { FusedOptimizer } from './fused-optimizer.js';
import type { KernelImpl, ParamSpec } from './types.js';

/**
 * Per element at step t (1-based), g the gradient; β2 is PyTorch's smoothing constant `alpha`:
 *   standard:   v ← β2·v + (1−β2)·g²;   u = g / (sqrt(v) + eps)
 *   reference:  v ← β2·v + g²;          u = g / sqrt((1−β2)/(1−β2^t)·v + eps)
 *   w ← w − lr·(u + κ·w)
 */
export const rmspropRule: BaseRule = {
  type: 'rmsprop',
  defaults: { beta1: 0, beta2: 0.99, momentum: 0, eps: 1e-8 },
  slots: ['v'],
  coefficients({ beta2, eps, convention }, t) {
    if (convention === 'reference')
      return { decay2: beta2, gain2: 1, scale2: (1 - beta2) / (1 - beta2 ** t), epsIn: eps };
    return { decay2: beta2, gain2: 1 - beta2, scale2: 1, epsOut: eps };
  },
};

export interface RMSPropOptions {
  /** smoothing constant (PyTorch's alpha), default 0.99 */ beta2?: number;
  /** default 1e-8 */ eps?: number;
  /** default 0 */ weightDecay?: number;
  convention?: Convention;
  impl?: KernelImpl;
}

export class RMSProp extends FusedOptimizer {
  constructor(params: ParamSpec[], o: RMSPropOptions = {}) {
    const spec = resolveSpec(
      rmspropRule,
      { beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay ?? 0 },
      o.convention,
    );
    super('rmsprop', params, rmspropRule, spec, o.impl);
  }
}
