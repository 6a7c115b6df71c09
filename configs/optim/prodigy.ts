// Prodigy at the authors' recommended settings (prodigy.py, README): lr 1 ("leave it at 1"; change dCoef to
// steer d instead), betas (0.9, 0.999), beta3 = sqrt(beta2), d0 1e-6, no bias correction, no safeguard
// warmup (no lr schedule here), decoupled weight decay 0 (the authors' default).
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: {
    type: 'prodigy',
    beta1: 0.9,
    beta2: 0.999,
    weightDecay: 0,
    d0: 1e-6,
    dCoef: 1,
    biasCorrection: false,
    safeguardWarmup: false,
  },
  lr: 1, // multiplies the learned d
  schedule: { type: 'constant' },
  gradClip: 1,
};
