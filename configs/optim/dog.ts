// DoG at the authors' recommended settings (dog.py, example.py): lr 1 ("changing it is not recommended"),
// reps_rel 1e-6 (no batch-norm), polynomial-decay average with gamma 8, evaluated at the average.
import type { DeepPartial, OptimizerConfig } from '../../src/config/schema.js';

export const optimizer: DeepPartial<OptimizerConfig> = {
  base: { type: 'dog', repsRel: 1e-6, averageGamma: 8, weightDecay: 0 },
  lr: 1, // c in the paper: eta = c·rbar/sqrt(G)
  schedule: { type: 'constant' }, // DoG's step size needs no schedule
  gradClip: 1,
};
