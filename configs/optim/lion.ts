// Plain Lion, constant lr. Lion paper's rule of thumb vs AdamW: lr 3x smaller, decay 3x larger, so that
// lr·κ stays the same: 6e-4 / 3 = 2e-4, 0.1 · 3 = 0.3 (lr·κ = 6e-5 as in the adamw preset).
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'lion', beta1: 0.9, beta2: 0.99, weightDecay: 0.3 },
  lr: 2e-4,
  schedule: { type: 'constant' },
  gradClip: 1,
};
