// Lion (Chen et al. 2023, lion-pytorch): u = sign(β1·m + (1−β1)·g), then m ← β2·m + (1−β2)·g; decoupled
// decay lr·κ·w (rank >= 2 tensors in the standard convention, all tensors in the reference one).
import { resolveBaseSpec, type Convention } from './base-spec.js';
import { FusedOptimizer, type KernelImpl, type ParamSpec } from './fused-optimizer.js';

export interface LionOptions {
  /** interpolation c, default 0.9 */ beta1?: number;
  /** momentum decay rho, default 0.99 */ beta2?: number;
  /** default 0 */ weightDecay?: number;
  convention?: Convention;
  impl?: KernelImpl;
}

export class Lion extends FusedOptimizer {
  constructor(params: ParamSpec[], o: LionOptions = {}) {
    const spec = resolveBaseSpec({ type: 'lion', beta1: o.beta1, beta2: o.beta2, weightDecay: o.weightDecay ?? 0 }, o.convention);
    super('lion', params, spec, o.impl);
  }
}
