// Lion (Chen et al. 2023, lion-pytorch): the sign of an interpolation of momentum and gradient; decoupled decay
// lr·κ·w (rank >= 2 tensors in the standard convention, all tensors in the reference one).
import { resolveSpec, type BaseRule, type Convention } from './base-rule.js';
import { FusedOptimizer } from './fused-optimizer.js';
import type { KernelImpl, ParamSpec } from './types.js';

/**
 * Per element, g the gradient, m the momentum before this step (both conventions):
 *   u = sign(β1·m + (1−β1)·g);   m ← β2·m + (1−β2)·g;   w ← w − lr·(u + κ·w)
 */
export const lionRule: BaseRule = {
  type: 'lion',
  defaults: { beta1: 0.9, beta2: 0.99, momentum: 0, eps: 0 },
  slots: ['m'],
  coefficients: ({ beta1, beta2 }) => ({ interp: beta1, decay1: beta2, gain1: 1 - beta2 }),
};

export interface LionOptions {
  /** interpolation c, default 0.9 */ beta1?: number;
  /** momentum decay rho, default 0.99 */ beta2?: number;
  /** default 0 */ weightDecay?: number;
  convention?: Convention;
  impl?: KernelImpl;
}

export class Lion extends FusedOptimizer {
  constructor(params: ParamSpec[], o: LionOptions = {}) {
    const spec = resolveSpec(
      lionRule,
      { beta1: o.beta1, beta2: o.beta2, weightDecay: o.weightDecay ?? 0 },
      o.convention,
    );
    super('lion', params, lionRule, spec, o.impl);
  }
}
