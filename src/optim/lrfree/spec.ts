// The learning-rate-free methods' hyper-parameters with the authors' defaults filled in
// (../shared/reference/lr-free.md: Schedule-Free AdamW, Prodigy, DoG, D-Adaptation Adam, mechanic).
import type { BaseOptimizerConfig, InnerOptimizerConfig, LrFreeType } from '../../config/schema.js';
import { LRFREE_TYPES } from '../../config/schema.js';

export interface ScheduleFreeSpec {
  type: 'schedulefree-adamw';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmupSteps: number;
  r: number;
  weightLrPower: number;
}
export interface ProdigySpec {
  type: 'prodigy';
  beta1: number;
  beta2: number;
  beta3: number;
  eps: number;
  weightDecay: number;
  biasCorrection: boolean;
  safeguardWarmup: boolean;
  d0: number;
  dCoef: number;
  growthRate: number;
}
export interface DogSpec {
  type: 'dog';
  repsRel: number;
  eps: number;
  weightDecay: number;
  averageGamma: number;
}
export interface DAdaptAdamSpec {
  type: 'dadapt-adam';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  biasCorrection: boolean;
  d0: number;
  growthRate: number;
}
export interface MechanicSpec {
  type: 'mechanic';
  sDecay: number;
  sInit: number;
  eps: number;
  /** The tuner's betas (the authors' six, not configurable). */
  betas: number[];
  inner: Required<Omit<InnerOptimizerConfig, 'beta1' | 'beta2' | 'eps'>> & {
    beta1: number;
    beta2: number;
    eps: number;
  };
}
export type LrFreeSpec = ScheduleFreeSpec | ProdigySpec | DogSpec | DAdaptAdamSpec | MechanicSpec;

/** mechanize()'s betas (mechanic.py). */
export const MECHANIC_BETAS = [0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999];

export function isLrFree(type: string): type is LrFreeType {
  return (LRFREE_TYPES as readonly string[]).includes(type);
}

/** Fills every unset key with the authors' default (growthRate null/unset = unbounded). */
export function resolveLrFreeSpec(b: BaseOptimizerConfig): LrFreeSpec {
  const beta1 = b.beta1 ?? 0.9,
    beta2 = b.beta2 ?? 0.999,
    eps = b.eps ?? 1e-8,
    weightDecay = b.weightDecay;
  const growthRate = b.growthRate ?? Infinity;
  switch (b.type) {
    case 'schedulefree-adamw':
      return {
        type: b.type,
        beta1,
        beta2,
        eps,
        weightDecay,
        warmupSteps: b.warmupSteps ?? 0,
        r: b.r ?? 0,
        weightLrPower: b.weightLrPower ?? 2,
      };
    case 'prodigy':
      return {
        type: b.type,
        beta1,
        beta2,
        beta3: b.beta3 ?? Math.sqrt(beta2),
        eps,
        weightDecay,
        biasCorrection: b.biasCorrection ?? false,
        safeguardWarmup: b.safeguardWarmup ?? false,
        d0: b.d0 ?? 1e-6,
        dCoef: b.dCoef ?? 1,
        growthRate,
      };
    case 'dog':
      return { type: b.type, repsRel: b.repsRel ?? 1e-6, eps, weightDecay, averageGamma: b.averageGamma ?? 8 };
    case 'dadapt-adam':
      return {
        type: b.type,
        beta1,
        beta2,
        eps,
        weightDecay,
        biasCorrection: b.biasCorrection ?? false,
        d0: b.d0 ?? 1e-6,
        growthRate,
      };
    case 'mechanic': {
      const i = b.inner ?? { type: 'adamw' as const, weightDecay: 0 };
      return {
        type: b.type,
        sDecay: b.sDecay ?? 0.01,
        sInit: b.sInit ?? 1e-8,
        eps,
        betas: [...MECHANIC_BETAS],
        inner: {
          type: i.type,
          beta1: i.beta1 ?? 0.9,
          beta2: i.beta2 ?? 0.999,
          eps: i.eps ?? 1e-8,
          weightDecay: i.weightDecay,
        },
      };
    }
    default:
      throw new Error(`resolveLrFreeSpec: '${b.type}' is not a learning-rate-free type`);
  }
}

/** Weight decay of one tensor: as the toolkit's AdamW, only tensors of rank >= 2 (not biases, norm gains). */
export function decays(shape: readonly number[]): boolean {
  return shape.length >= 2;
}

/** Prodigy's and D-Adaptation's bias correction sqrt(1 - β2^(k+1)) / (1 - β1^(k+1)) for step k (0-based), or 1. */
export function biasCorrection(on: boolean, beta1: number, beta2: number, k: number): number {
  return on ? Math.sqrt(1 - beta2 ** (k + 1)) / (1 - beta1 ** (k + 1)) : 1;
}

/** Schedule-Free's averaging weight c_{k+1} and the running lr_max and weight sum after step k (0-based). */
export function scheduleFreeCoefficients(
  s: ScheduleFreeSpec,
  lr0: number,
  k: number,
  lrMax: number,
  weightSum: number,
): { lr: number; c: number; lrMax: number; weightSum: number } {
  const sched = k < s.warmupSteps ? (k + 1) / s.warmupSteps : 1;
  const lr = lr0 * sched;
  const newMax = Math.max(lr, lrMax);
  const weight = (k + 1) ** s.r * newMax ** s.weightLrPower;
  const sum = weightSum + weight;
  return { lr, c: sum === 0 ? 0 : weight / sum, lrMax: newMax, weightSum: sum };
}
