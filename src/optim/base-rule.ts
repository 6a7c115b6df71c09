// What every base optimizer's file (adamw.ts, lion.ts, sgd.ts, rmsprop.ts) defines: its hyper-parameter defaults,
// the state it keeps per parameter, and its update as the fused kernel's coefficients, whose per-element math is
// kernels/optim-step/reference.ts. Two conventions (../shared/reference/metaoptimize.md, "Base directions u").
import type { BaseOptimizerConfig } from '../config/schema.js';
import type { OptimBase, OptimStepAttrs } from '../kernels/optim-step/index.js';

/** standard: PyTorch's optimizers; reference: the MetaOptimize authors' code (metaoptimize.md). */
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

/** The authors' code adds this inside the sqrt (reference convention) unless `eps` is set. */
export const REFERENCE_EPS = 1e-10;

/** The coefficients a base optimizer sets; the others keep the neutral values of stepAttrs. */
export type Coefficients = Partial<
  Pick<
    OptimStepAttrs,
    'decay1' | 'gain1' | 'decay2' | 'gain2' | 'scale1' | 'scale2' | 'epsIn' | 'epsOut' | 'interp' | 'oldMomentum'
  >
>;

export interface BaseRule {
  readonly type: OptimBase;
  /** Defaults for keys the config leaves unset (PyTorch's and the Lion paper's). */
  readonly defaults: { beta1: number; beta2: number; momentum: number; eps: number };
  /** Per-parameter state, saved as `<param>/m`, `<param>/v`. */
  readonly slots: readonly ('m' | 'v')[];
  /** The kernel's coefficients for step t (1-based: bias corrections use β^t). */
  coefficients(spec: BaseSpec, t: number): Coefficients;
}

/** The rule's spec for a config section (unset keys take the rule's defaults). */
export function resolveSpec(
  rule: BaseRule,
  cfg: Omit<BaseOptimizerConfig, 'type'>,
  convention: Convention = 'standard',
): BaseSpec {
  const d = rule.defaults;
  return {
    type: rule.type,
    beta1: cfg.beta1 ?? d.beta1,
    beta2: cfg.beta2 ?? d.beta2,
    momentum: cfg.momentum ?? d.momentum,
    eps: cfg.eps ?? (convention === 'reference' ? REFERENCE_EPS : d.eps),
    weightDecay: cfg.weightDecay,
    convention,
  };
}

/** Decoupled weight decay of one tensor: standard = only rank >= 2 (not biases, norm gains); reference = all. */
export function decayOf(spec: BaseSpec, shape: readonly number[]): number {
  return spec.convention === 'reference' || shape.length >= 2 ? spec.weightDecay : 0;
}

/**
 * The kernel's attributes for step t with step size alpha and decay kappa: the rule's coefficients over neutral
 * ones; `trace` (MetaOptimize) adds the trace update with decay gamma and the Σ h·g output.
 */
export function stepAttrs(
  rule: BaseRule,
  spec: BaseSpec,
  alpha: number,
  kappa: number,
  t: number,
  trace: { gamma: number } | null,
): OptimStepAttrs {
  return {
    base: spec.type,
    alpha,
    kappa,
    decay1: 0,
    gain1: 0,
    decay2: 0,
    gain2: 0,
    scale1: 1,
    scale2: 1,
    epsIn: 0,
    epsOut: 0,
    interp: 0,
    oldMomentum: false,
    traced: trace !== null,
    zOut: trace !== null,
    gamma: trace?.gamma ?? 0,
    alphaIndex: -1,
    inPlace: false,
    ...rule.coefficients(spec, t),
  };
}
