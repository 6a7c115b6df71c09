// The authors' exact TinyStories setting (reference convention, metaoptimize.md): base AdamW (.9, .999,
// κ .1, sum-form first moment, eps 1e-10 inside the sqrt, decay on every tensor), meta Lion (.9, .99),
// η = 1e-3, γ = 1, α0 = 1e-5, scalar step size.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'adamw', beta1: 0.9, beta2: 0.999, weightDecay: 0.1 },
  lr: 1e-5, // α0
  schedule: { type: 'constant' },
  gradClip: 1,
  metaOptimize: {
    meta: { type: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99 },
    gamma: 1,
    blocks: 'scalar',
    convention: 'reference',
  },
};
