// D-Adaptation Adam at the authors' defaults (dadapt_adam.py): lr 1 ("leave LR set to 1"), betas
// (0.9, 0.999), d0 1e-6, unbounded growth, no bias correction, weight decay 0.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'dadapt-adam', beta1: 0.9, beta2: 0.999, weightDecay: 0, d0: 1e-6 },
  lr: 1, // multiplies the learned d
  schedule: { type: 'constant' },
  gradClip: 1,
};
