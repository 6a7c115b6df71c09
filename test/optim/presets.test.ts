// Every optimizer preset in configs/optim/ parses with the schema and builds its optimizer.
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptimizerSchema } from '../../src/config/schema.js';
import { createOptimizer } from '../../src/optim/create.js';
import { setUpBackend } from '../../src/kernels/register.js';

const DIR = new URL('../../configs/optim/', import.meta.url);
const PRESETS = readdirSync(DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const PARAMS = [
  { name: 'wte.weight', shape: [8, 4] },
  { name: 'h.0.attn.qkv.weight', shape: [12, 4] },
  { name: 'ln_f.bias', shape: [4] },
];
const EXPECTED: Record<string, string> = {
  adamw: 'adamw',
  'adamw-cosine': 'adamw',
  lion: 'lion',
  sgdm: 'sgdm',
  rmsprop: 'rmsprop',
  'mo-adamw-lion': 'metaoptimize(adamw, lion)',
  'mo-adamw-lion-layerwise': 'metaoptimize(adamw, lion)',
  'mo-adamw-lion-reference': 'metaoptimize(adamw, lion)',
  'mo-adamw-adam': 'metaoptimize(adamw, adam)',
  'mo-lion-lion': 'metaoptimize(lion, lion)',
  'schedulefree-adamw': 'schedulefree-adamw',
  prodigy: 'prodigy',
  dog: 'dog',
  'dadapt-adam': 'dadapt-adam',
  'mechanic-adamw': 'mechanic(adamw)',
  'mechanic-sgd': 'mechanic(sgd)',
};

beforeAll(async () => {
  await setUpBackend('cpu');
});

describe('configs/optim presets', () => {
  it('has the paper combinations and the baselines', () => {
    expect(PRESETS).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(PRESETS)('%s builds', async (name) => {
    const mod = (await import(new URL(`${name}.ts`, DIR).href)) as { optimizer: unknown };
    const cfg = OptimizerSchema.parse(mod.optimizer);
    const opt = createOptimizer(cfg, PARAMS);
    expect(opt.name).toBe(EXPECTED[name]);
    if (name.startsWith('mo-')) {
      expect(cfg.metaOptimize!.meta.lr).toBe(1e-3); // paper default eta
      expect(cfg.metaOptimize!.gamma).toBe(1);
      expect(cfg.metaOptimize!.convention).toBe(name.endsWith('-reference') ? 'reference' : 'standard');
      expect(opt.blockNames).toEqual(name.endsWith('-layerwise') ? PARAMS.map((p) => p.name) : ['all']);
    }
    opt.dispose();
  });
});
