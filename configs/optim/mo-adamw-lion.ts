// The paper's TinyStories optimizer, MetaOptimize(AdamW, Lion), scalar step size, standard convention.
// Paper defaults: η = 1e-3, γ = 1. α0 = 1e-4 is the authors' α0 = 1e-5 in standard units (their AdamW
// direction is 1/(1 − β1) = 10x larger); see mo-adamw-lion-reference for their exact setting.
// β moves at most η per step: growing α 100x takes ln(100)/η ≈ 4600 steps; for short runs raise meta.lr.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'adamw', beta1: 0.9, beta2: 0.999, weightDecay: 0.1 },
  lr: 1e-4, // α0, the initial step size
  schedule: { type: 'constant' }, // MetaOptimize learns the step size: no schedule
  gradClip: 1,
  metaOptimize: {
    meta: { type: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99 },
    gamma: 1,
    blocks: 'scalar',
    convention: 'standard',
  },
};
