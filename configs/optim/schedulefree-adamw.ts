// Schedule-Free AdamW at the authors' defaults (adamw_schedulefree.py: lr 0.0025, betas (0.9, 0.999), r 0,
// weight_lr_power 2). No lr schedule: the authors recommend warmup instead (warmupSteps 100 = 5% of a 2000-step
// run); evaluation, checkpoints and samples use the averaged point x (lr-free.md).
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: {
    type: 'schedulefree-adamw',
    beta1: 0.9,
    beta2: 0.999,
    weightDecay: 0,
    warmupSteps: 100,
    r: 0,
    weightLrPower: 2,
  },
  lr: 2.5e-3, // 1-10x a scheduled AdamW's peak lr, as the authors advise (nanoGPT's 6e-4 x ~4)
  schedule: { type: 'constant' },
  gradClip: 1,
};
