// Plain SGD with momentum 0.9 (PyTorch form m ← 0.9m + g, so the steady step is lr/(1 − 0.9) = 10·lr·g).
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'sgdm', momentum: 0.9, weightDecay: 0 },
  lr: 0.05,
  schedule: { type: 'constant' },
  gradClip: 1,
};
