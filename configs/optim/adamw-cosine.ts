// AdamW with nanoGPT's schedule: linear warmup to lr, cosine down to minLr = lr/10 at train.maxSteps.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'adamw', beta1: 0.9, beta2: 0.95, weightDecay: 0.1 },
  lr: 6e-4, // peak
  schedule: { type: 'cosine', warmupSteps: 100, decaySteps: null, minLr: 6e-5 }, // minLr = 6e-4 / 10; null = maxSteps
  gradClip: 1,
};
