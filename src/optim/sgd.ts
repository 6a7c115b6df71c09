// SGD and SGD with momentum as torch.optim.SGD (m ← μ·m + g, step along m; dampening 0, no Nesterov),
// except that weight decay is decoupled (lr·κ·w, as in AdamW and metaoptimize.md), not added to g.
import { resolveBaseSpec, type Convention } from './base-spec.js';
import { FusedOptimizer, type KernelImpl, type ParamSpec } from './fused-optimizer.js';

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
    super('sgd', params, resolveBaseSpec({ type: 'sgd', weightDecay: o.weightDecay ?? 0 }, o.convention), o.impl);
  }
}

export class SGDM extends FusedOptimizer {
  constructor(params: ParamSpec[], o: SGDMOptions = {}) {
    const spec = resolveBaseSpec({ type: 'sgdm', momentum: o.momentum, weightDecay: o.weightDecay ?? 0 }, o.convention);
    super('sgdm', params, spec, o.impl);
  }
}
