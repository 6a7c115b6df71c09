// Builds a learning-rate-free optimizer (optimizer.base.type schedulefree-adamw | prodigy | dog | dadapt-adam |
// mechanic) from the config, and checks what zod cannot: no MetaOptimize around it, no lr schedule where
// the method has its own (Schedule-Free's warmup, DoG's distance rule).
import type { OptimizerConfig } from '../../config/schema.js';
import { ConfigError } from '../../util/errors.js';
import { AdamW } from '../adamw.js';
import type { KernelImpl, ParamSpec } from '../fused-optimizer.js';
import { SGD } from '../sgd.js';
import { DAdaptAdam } from './dadapt-adam.js';
import { DoG } from './dog.js';
import type { LrFreeOptimizer } from './lrfree-optimizer.js';
import { Mechanic } from './mechanic.js';
import { Prodigy } from './prodigy.js';
import { ScheduleFreeAdamW } from './schedulefree-adamw.js';
import { resolveLrFreeSpec } from './spec.js';

export function createLrFreeOptimizer(
  cfg: OptimizerConfig,
  params: ParamSpec[],
  impl: KernelImpl = 'auto',
): LrFreeOptimizer {
  const type = cfg.base.type;
  if (cfg.metaOptimize)
    throw new ConfigError(
      `optimizer.metaOptimize is set but optimizer.base.type '${type}' learns its own step size`,
      'MetaOptimize wraps adamw, lion, sgdm, sgd or rmsprop; set optimizer.metaOptimize=null',
    );
  if ((type === 'schedulefree-adamw' || type === 'dog') && cfg.schedule.type !== 'constant')
    throw new ConfigError(
      `optimizer.schedule.type is '${cfg.schedule.type}' but ${type} needs no lr schedule`,
      type === 'dog'
        ? 'set optimizer.schedule.type=constant'
        : 'set optimizer.schedule.type=constant and use optimizer.base.warmupSteps for warmup',
    );
  if (!(cfg.lr > 0))
    throw new ConfigError(
      `optimizer.lr is ${cfg.lr}; ${type} needs lr > 0`,
      'the authors use lr = 1 for prodigy, dog and dadapt-adam',
    );
  const spec = resolveLrFreeSpec(cfg.base);
  switch (spec.type) {
    case 'schedulefree-adamw':
      return new ScheduleFreeAdamW(params, spec, impl);
    case 'prodigy':
      return new Prodigy(params, spec, impl);
    case 'dog':
      return new DoG(params, spec, impl);
    case 'dadapt-adam':
      return new DAdaptAdam(params, spec, impl);
    case 'mechanic': {
      const i = spec.inner;
      const inner =
        i.type === 'adamw'
          ? new AdamW(params, { beta1: i.beta1, beta2: i.beta2, eps: i.eps, weightDecay: i.weightDecay, impl })
          : new SGD(params, { weightDecay: i.weightDecay, impl });
      return new Mechanic(params, spec, inner, impl);
    }
  }
}
