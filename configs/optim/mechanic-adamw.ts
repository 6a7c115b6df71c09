// mechanic around AdamW at the authors' defaults (mechanize(): s_decay 0.01, s_init 1e-8, six betas). The
// README: "you can set the lr to anything", the learned Σs multiplies it; lr 1 makes Σs the effective lr.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: {
    type: 'mechanic',
    sDecay: 0.01,
    sInit: 1e-8,
    inner: { type: 'adamw', beta1: 0.9, beta2: 0.999, weightDecay: 0 },
  },
  lr: 1, // the inner AdamW's lr; the step is lr·Σs
  schedule: { type: 'constant' },
  gradClip: 1,
};
