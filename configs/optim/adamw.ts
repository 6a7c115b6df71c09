// Plain AdamW, constant lr: nanoGPT's optimizer settings (train.py: lr 6e-4, betas (0.9, 0.95), decay 0.1).
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'adamw', beta1: 0.9, beta2: 0.95, weightDecay: 0.1 }, // decay only on rank >= 2 tensors
  lr: 6e-4,
  schedule: { type: 'constant' },
  gradClip: 1,
};
