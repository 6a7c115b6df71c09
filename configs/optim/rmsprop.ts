// Plain RMSProp (PyTorch: v ← 0.99v + 0.01g², step g/(sqrt v + 1e-8)), constant lr like AdamW's.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'rmsprop', beta2: 0.99, eps: 1e-8, weightDecay: 0.1 },
  lr: 6e-4,
  schedule: { type: 'constant' },
  gradClip: 1,
};
