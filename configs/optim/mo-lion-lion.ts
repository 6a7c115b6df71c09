// MetaOptimize(Lion, Lion), scalar, standard convention (same as reference for Lion). Base Lion .9/.99,
// κ .1 (metaoptimize.md); α0 = 1e-5, 20x below the lion preset's 2e-4. η = 1e-3, γ = 1.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'lion', beta1: 0.9, beta2: 0.99, weightDecay: 0.1 },
  lr: 1e-5, // α0
  schedule: { type: 'constant' },
  gradClip: 1,
  metaOptimize: {
    meta: { type: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99 },
    gamma: 1,
    blocks: 'scalar',
    convention: 'standard',
  },
};
