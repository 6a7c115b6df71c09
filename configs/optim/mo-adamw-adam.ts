// MetaOptimize(AdamW, Adam), scalar, standard convention. The paper lists α0 = 1e-6 for this pair in the
// authors' convention; ×10 for the standard AdamW direction gives 1e-5. η = 1e-3, γ = 1.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'adamw', beta1: 0.9, beta2: 0.999, weightDecay: 0.1 },
  lr: 1e-5, // α0
  schedule: { type: 'constant' },
  gradClip: 1,
  metaOptimize: {
    meta: { type: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    gamma: 1,
    blocks: 'scalar',
    convention: 'standard',
  },
};
