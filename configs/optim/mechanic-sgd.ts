// mechanic around plain SGD, the README's example (mechanize(torch.optim.SGD)(params, lr=1.0)), at the
// authors' defaults: s_decay 0.01, s_init 1e-8, six betas. The step is lr·Σs.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'mechanic', sDecay: 0.01, sInit: 1e-8, inner: { type: 'sgd', weightDecay: 0 } },
  lr: 1,
  schedule: { type: 'constant' },
  gradClip: 1,
};
