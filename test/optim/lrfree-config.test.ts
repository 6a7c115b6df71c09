// The learning-rate-free keys in the config schema: the authors' defaults filled in, keys refused on types
// that do not read them, bad values refused naming the key, combinations createOptimizer refuses.
import { setUpBackend } from '../../src/kernels/register.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/resolve.js';
import { OptimizerSchema } from '../../src/config/schema.js';
import { createOptimizer } from '../../src/optim/create.js';
import { resolveLrFreeSpec } from '../../src/optim/lrfree/spec.js';
import { ConfigError } from '../../src/util/errors.js';

const PARAMS = [
  { name: 'wte.weight', shape: [8, 4] },
  { name: 'ln_f.bias', shape: [4] },
];
const optimizer = (base: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  optimizer: { base, ...rest },
});

beforeAll(async () => {
  await setUpBackend('cpu');
});

describe('learning-rate-free config keys', () => {
  it('fills in the authors defaults', () => {
    const spec = (type: string) => resolveLrFreeSpec(OptimizerSchema.parse({ base: { type } }).base);
    expect(spec('schedulefree-adamw')).toEqual({
      type: 'schedulefree-adamw',
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      warmupSteps: 0,
      r: 0,
      weightLrPower: 2,
    });
    expect(spec('prodigy')).toEqual({
      type: 'prodigy',
      beta1: 0.9,
      beta2: 0.999,
      beta3: Math.sqrt(0.999),
      eps: 1e-8,
      weightDecay: 0,
      biasCorrection: false,
      safeguardWarmup: false,
      d0: 1e-6,
      dCoef: 1,
      growthRate: Infinity,
    });
    expect(spec('dog')).toEqual({ type: 'dog', repsRel: 1e-6, eps: 1e-8, weightDecay: 0, averageGamma: 8 });
    expect(spec('dadapt-adam')).toEqual({
      type: 'dadapt-adam',
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      biasCorrection: false,
      d0: 1e-6,
      growthRate: Infinity,
    });
    expect(spec('mechanic')).toMatchObject({
      sDecay: 0.01,
      sInit: 1e-8,
      eps: 1e-8,
      betas: [0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999],
      inner: { type: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
    });
  });

  it.each([
    [{ type: 'prodigy', repsRel: 1e-4 }, /optimizer\.base\.repsRel: .*applies only to dog, not to type 'prodigy'/],
    [{ type: 'adamw', d0: 1e-6 }, /optimizer\.base\.d0: .*applies only to prodigy, dadapt-adam/],
    [{ type: 'dog', beta1: 0.9 }, /optimizer\.base\.beta1: .*not read by type 'dog'/],
    [{ type: 'mechanic', beta2: 0.99 }, /optimizer\.base\.beta2: .*set it on optimizer\.base\.inner/],
    [{ type: 'prodigy', d0: -1 }, /optimizer\.base\.d0: .*(>0|positive|greater)/i],
    [{ type: 'prodigy', growthRate: 0.5 }, /optimizer\.base\.growthRate/],
    [{ type: 'schedulefree-adamw', warmupSteps: 2.5 }, /optimizer\.base\.warmupSteps/],
    [{ type: 'mechanic', inner: { type: 'lion' } }, /optimizer\.base\.inner\.type/],
    [{ type: 'mechanic', inner: { type: 'adamw', momentum: 0.9 } }, /optimizer\.base\.inner\.momentum/],
    [{ type: 'dog', averageGama: 8 }, /unknown key 'optimizer\.base\.averageGama'/],
  ])('refuses %j naming the key', (base, message) => {
    expect(() => validateConfig(optimizer(base))).toThrow(ConfigError);
    expect(() => validateConfig(optimizer(base))).toThrow(message);
  });

  it('refuses MetaOptimize around a learning-rate-free method, and a schedule where the method has its own', () => {
    const mo = validateConfig(optimizer({ type: 'prodigy' }, { metaOptimize: {} }));
    expect(() => createOptimizer(mo.optimizer, PARAMS)).toThrow(
      /optimizer\.metaOptimize is set but optimizer\.base\.type 'prodigy'/,
    );
    const sf = validateConfig(optimizer({ type: 'schedulefree-adamw' }, { schedule: { type: 'cosine' } }));
    expect(() => createOptimizer(sf.optimizer, PARAMS)).toThrow(
      /optimizer\.schedule\.type is 'cosine' but schedulefree-adamw needs no lr schedule/,
    );
  });

  it('builds each type with the buffers of the authors code', () => {
    const buffers = { 'schedulefree-adamw': 2, prodigy: 4, dog: 2, 'dadapt-adam': 3, mechanic: 3 } as const; // mechanic(adamw): m, v + 1
    for (const [type, n] of Object.entries(buffers)) {
      const opt = createOptimizer(validateConfig(optimizer({ type }, { lr: 1 })).optimizer, PARAMS);
      expect(opt.bufferCount, type).toBe(n * PARAMS.length);
      opt.dispose();
    }
  });
});
