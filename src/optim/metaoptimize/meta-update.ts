// The meta optimizers of the log step sizes β (metaoptimize.md "Meta updates"), in float64 JS numbers:
// lion | adam | rmsprop | sgd | fixed, each in the reference (authors' code) and standard conventions.
import type { MetaOptimizeConfig } from '../../config/schema.js';
import { REFERENCE_EPS, type Convention } from '../base-rule.js';

export type MetaType = MetaOptimizeConfig['meta']['type'];

export interface MetaSpec {
  type: MetaType;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  convention: Convention;
}

/** Defaults for keys the config leaves unset. */
export const META_DEFAULTS: Record<MetaType, { beta1: number; beta2: number }> = {
  lion: { beta1: 0.9, beta2: 0.99 },
  adam: { beta1: 0.9, beta2: 0.999 },
  rmsprop: { beta1: 0, beta2: 0.999 },
  sgd: { beta1: 0, beta2: 0 },
  fixed: { beta1: 0, beta2: 0 },
};

export function resolveMetaSpec(cfg: MetaOptimizeConfig['meta'], convention: Convention): MetaSpec {
  const d = META_DEFAULTS[cfg.type];
  return {
    type: cfg.type,
    lr: cfg.lr,
    beta1: cfg.beta1 ?? d.beta1,
    beta2: cfg.beta2 ?? d.beta2,
    eps: cfg.eps ?? (convention === 'reference' ? REFERENCE_EPS : 1e-8),
    convention,
  };
}

/** Per-block meta state: β and the meta moments m̄, v̄ (all float64). */
export interface MetaState {
  beta: number[];
  mBar: number[];
  vBar: number[];
}

/**
 * One meta step at step t (1-based, counting the z = 0 first step) for every block, in place. β moves
 * against z. Lion interpolates with the OLD m̄ (standard Lion order). Nothing is clamped.
 */
export function metaUpdate(spec: MetaSpec, s: MetaState, z: readonly number[], t: number): void {
  const { lr, beta1, beta2, eps } = spec;
  const ref = spec.convention === 'reference';
  for (let b = 0; b < z.length; b++) {
    const zb = z[b];
    switch (spec.type) {
      case 'lion':
        s.beta[b] -= lr * Math.sign(beta1 * s.mBar[b] + (1 - beta1) * zb);
        s.mBar[b] = beta2 * s.mBar[b] + (1 - beta2) * zb;
        break;
      case 'adam':
        if (ref) {
          s.mBar[b] = beta1 * s.mBar[b] + zb;
          s.vBar[b] = beta2 * s.vBar[b] + zb * zb;
          s.beta[b] -= (lr * s.mBar[b]) / Math.sqrt(((1 - beta2) / (1 - beta2 ** t)) * s.vBar[b] + eps);
        } else {
          s.mBar[b] = beta1 * s.mBar[b] + (1 - beta1) * zb;
          s.vBar[b] = beta2 * s.vBar[b] + (1 - beta2) * zb * zb;
          s.beta[b] -= (lr * (s.mBar[b] / (1 - beta1 ** t))) / (Math.sqrt(s.vBar[b] / (1 - beta2 ** t)) + eps);
        }
        break;
      case 'rmsprop':
        if (ref) {
          s.vBar[b] = beta2 * s.vBar[b] + zb * zb;
          s.beta[b] -= (lr * zb) / Math.sqrt(((1 - beta2) / (1 - beta2 ** t)) * s.vBar[b] + eps);
        } else {
          s.vBar[b] = beta2 * s.vBar[b] + (1 - beta2) * zb * zb;
          s.beta[b] -= (lr * zb) / (Math.sqrt(s.vBar[b]) + eps);
        }
        break;
      case 'sgd':
        s.beta[b] -= lr * zb;
        break;
      case 'fixed':
        break;
    }
  }
}
