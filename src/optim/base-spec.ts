// The base optimizers by config type (optimizer.base.type): each one's rule from its own file (adamw.ts, lion.ts,
// sgd.ts, rmsprop.ts), and the spec and kernel attributes of a base given by type.
import type { BaseOptimizerConfig } from '../config/schema.js';
import type { OptimBase, OptimStepAttrs } from '../kernels/optim-step/index.js';
import { adamwRule } from './adamw.js';
import { resolveSpec, stepAttrs, type BaseRule, type BaseSpec, type Convention } from './base-rule.js';
import { lionRule } from './lion.js';
import { rmspropRule } from './rmsprop.js';
import { sgdmRule, sgdRule } from './sgd.js';

export { decayOf, REFERENCE_EPS, type BaseSpec, type Convention } from './base-rule.js';

export const BASE_RULES: Readonly<Record<OptimBase, BaseRule>> = {
  adamw: adamwRule,
  lion: lionRule,
  sgdm: sgdmRule,
  sgd: sgdRule,
  rmsprop: rmspropRule,
};

export function resolveBaseSpec(
  cfg: Omit<BaseOptimizerConfig, 'type'> & { type: OptimBase },
  convention: Convention = 'standard',
): BaseSpec {
  return resolveSpec(BASE_RULES[cfg.type], cfg, convention);
}

/** Kernel attributes for step t (1-based) with step size alpha and decay kappa; `trace` for MetaOptimize. */
export function kernelAttrs(
  spec: BaseSpec,
  alpha: number,
  kappa: number,
  t: number,
  trace: { gamma: number } | null,
): OptimStepAttrs {
  return stepAttrs(BASE_RULES[spec.type], spec, alpha, kappa, t, trace);
}

/** Per-parameter state slots the base keeps (saved as `<param>/m`, `<param>/v`). */
export function stateSlots(type: OptimBase): readonly ('m' | 'v')[] {
  return BASE_RULES[type].slots;
}
