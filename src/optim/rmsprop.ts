// RMSProp as torch.optim.RMSprop (v ← β2·v + (1−β2)·g², u = g/(sqrt(v) + eps), no centering, no momentum),
// with decoupled weight decay lr·κ·w; `convention: 'reference'` is the authors' variant (metaoptimize.md).
import { resolveBaseSpec, type Convention } from './base-spec.js';
import { FusedOptimizer, type KernelImpl, type ParamSpec } from './fused-optimizer.js';

export interface RMSPropOptions {
  /** smoothing constant (PyTorch's alpha), default 0.99 */ beta2?: number;
  /** default 1e-8 */ eps?: number;
  /** default 0 */ weightDecay?: number;
  convention?: Convention;
  impl?: KernelImpl;
}

export class RMSProp extends FusedOptimizer {
  constructor(params: ParamSpec[], o: RMSPropOptions = {}) {
    const spec = resolveBaseSpec({ type: 'rmsprop', beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay ?? 0 }, o.convention);
    super('rmsprop', params, spec, o.impl);
  }
}
