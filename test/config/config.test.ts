// The config system: defaults, named configs, presets, --set type checking, and errors that name the key.
import { describe, expect, it } from 'vitest';
import { parseSet, resolveConfig, validateConfig, describeConfigKeys } from '../../src/config/resolve.js';
import { paddedVocabSize, paramTable, countParams } from '../../src/model/params.js';

describe('resolveConfig', () => {
  it('applies config file, then preset, then --set in order', async () => {
    const cfg = await resolveConfig({ config: 'tinystories-tiny', set: ['train.maxSteps=7', 'optimizer.lr=0.5'] });
    expect(cfg.train.maxSteps).toBe(7);
    expect(cfg.optimizer.lr).toBe(0.5);
    expect(cfg.model.nEmbd).toBe(96);
  });

  it('builds tinystories-15m with the GPT-2 vocabulary padded to 50304 and about 20.5M parameters', async () => {
    const cfg = await resolveConfig({ config: 'tinystories-15m' });
    expect(cfg.model).toMatchObject({ nEmbd: 288, nLayer: 6, nHead: 6, blockSize: 256 });
    expect(cfg.train.batchSize).toBe(128);
    const V = paddedVocabSize(cfg.model, 50257);
    expect(V).toBe(50304);
    expect(countParams(paramTable(cfg.model, V))).toBeGreaterThan(20.4e6);
    expect(countParams(paramTable(cfg.model, V))).toBeLessThan(20.6e6);
  });

  it('names unknown keys with what is allowed', async () => {
    await expect(resolveConfig({ set: ['train.maxStep=5'] })).rejects.toThrow(/unknown key 'train\.maxStep'.*maxSteps/);
    expect(() => validateConfig({ train: { maxStep: 5 } })).toThrow(/unknown key 'train\.maxStep'; allowed: maxSteps/);
  });

  it('names the key, the bad value and what is allowed', () => {
    expect(() => validateConfig({ optimizer: { base: { type: 'adam' } } })).toThrow(
      /optimizer\.base\.type: .*"adamw".*\(got "adam"\)/,
    );
    expect(() => validateConfig({ train: { batchSize: 0 } })).toThrow(/train\.batchSize: .*>=1 \(got 0\)/);
    expect(() => validateConfig({ model: { nEmbd: 10, nHead: 3 } })).toThrow(
      /model\.nEmbd \(10\) must be divisible by model\.nHead \(3\)/,
    );
    expect(() => parseSet('train.batchSize=abc')).toThrow(/train\.batchSize=abc: expected integer/);
    expect(() => parseSet('nonsense')).toThrow(/key\.path=value/);
  });

  it('types --set values by the schema', () => {
    expect(parseSet('model.bias=false')).toEqual({ model: { bias: false } });
    expect(parseSet('data.source=text:a=b.txt')).toEqual({ data: { source: 'text:a=b.txt' } });
    expect(parseSet('model.vocabSize=null')).toEqual({ model: { vocabSize: null } });
    expect(parseSet('optimizer.metaOptimize.blocks=[["h.*"],["wte.*","wpe.*","ln_f.*"]]')).toEqual({
      optimizer: { metaOptimize: { blocks: [['h.*'], ['wte.*', 'wpe.*', 'ln_f.*']] } },
    });
  });

  it('accepts a schedule together with MetaOptimize (its shape multiplies the learned step sizes)', async () => {
    const config = await resolveConfig({
      set: ['optimizer.schedule.type=cosine', 'optimizer.metaOptimize={}', 'optimizer.schedule.minLr=1e-6'],
    });
    expect(config.optimizer.schedule.type).toBe('cosine');
    expect(config.optimizer.metaOptimize).not.toBeNull();
  });

  it('names unknown config and preset names with the available ones', async () => {
    await expect(resolveConfig({ config: 'nope' })).rejects.toThrow(/unknown config 'nope'/);
    await expect(resolveConfig({ optim: 'nope' })).rejects.toThrow(/unknown optimizer preset 'nope'/);
  });

  it('lists every key for --help-config', () => {
    const text = describeConfigKeys();
    for (const key of [
      'train.maxSteps',
      'train.batchSize',
      'train.evalInterval',
      'train.evalIters',
      'train.logInterval',
      'train.checkpointInterval',
      'train.seed',
      'data.source',
      'data.textColumn',
      'optimizer.metaOptimize.gamma',
    ])
      expect(text).toContain(key);
  });
});
