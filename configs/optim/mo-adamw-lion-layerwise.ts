// MetaOptimize(AdamW, Lion) with one learned step size per parameter tensor (paper: "layer-wise").
// Same numbers as mo-adamw-lion; block names in config.json are the parameter names.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'adamw', beta1: 0.9, beta2: 0.999, weightDecay: 0.1 },
  lr: 1e-4, // α0 of every block
  schedule: { type: 'constant' },
  gradClip: 1,
  metaOptimize: {
    meta: { type: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99 },
    gamma: 1,
    blocks: 'layerwise',
    convention: 'standard',
  },
};
