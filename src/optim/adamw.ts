// AdamW as torch.optim.AdamW (bias-corrected EMAs, eps outside the sqrt, decoupled decay lr·κ·w on tensors
// of rank >= 2); `convention: 'reference'` gives the MetaOptimize authors' variant (metaoptimize.md).
import { resolveBaseSpec, type Convention } from './base-spec.js';
import { FusedOptimizer, type KernelImpl, type ParamSpec } from './fused-optimizer.js';

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
    const spec = resolveBaseSpec({ type: 'adamw', beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay ?? 0 }, o.convention);
    super('adamw', params, spec, o.impl);
  }
}
