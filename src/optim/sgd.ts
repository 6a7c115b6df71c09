// SGD and SGD with momentum as torch.optim.SGD (dampening 0, no Nesterov), except that weight decay is
// decoupled (lr·κ·w, as in AdamW and metaoptimize.md), not added to g.
import { resolveSpec, type BaseRule, type Convention } from './base-rule.js';
import { FusedOptimizer } from './fused-optimizer.js';
import type { KernelImpl, ParamSpec } from './types.js';

/** Per element, g the gradient:   u = g;   w ← w − lr·(u + κ·w) */
export const sgdRule: BaseRule = {
  type: 'sgd',
  defaults: { beta1: 0, beta2: 0, momentum: 0, eps: 0 },
  slots: [],
  coefficients: () => ({}),
};

/**
 * Per element, g the gradient, μ the momentum:
 *   standard:   m ← μ·m + g;          u = m (the new m)
 *   reference:  m ← μ·m + (1−μ)·g;    u = the m before this step
 *   w ← w − lr·(u + κ·w)
 */
export const sgdmRule: BaseRule = {
  type: 'sgdm',
  defaults: { beta1: 0, beta2: 0, momentum: 0.9, eps: 0 },
  slots: ['m'],
  coefficients: ({ momentum, convention }) =>
    convention === 'reference'
      ? { decay1: momentum, gain1: 1 - momentum, oldMomentum: true }
      : { decay1: momentum, gain1: 1 },
};

export interface SGDOptions {
  /** default 0 */ weightDecay?: number;
  convention?: Convention;
  impl?: KernelImpl;
}

export interface SGDMOptions extends SGDOptions {
  /** default 0.9 */ momentum?: number;
}

export class SGD extends FusedOptimizer {
  constructor(params: ParamSpec[], o: SGDOptions = {}) {
    super('sgd', params, sgdRule, resolveSpec(sgdRule, { weightDecay: o.weightDecay ?? 0 }, o.convention), o.impl);
  }
}

export class SGDM extends FusedOptimizer {
  constructor(params: ParamSpec[], o: SGDMOptions = {}) {
    const spec = resolveSpec(sgdmRule, { momentum: o.momentum, weightDecay: o.weightDecay ?? 0 }, o.convention);
    super('sgdm', params, sgdmRule, spec, o.impl);
  }
}
