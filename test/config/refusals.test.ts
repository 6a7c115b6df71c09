// Configs that would run but train nonsense, or crash deep inside tfjs, are refused up front by key:
// minLr above lr, attention too large for any tensor, model.vocabSize below the tokenizer's.
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/resolve.js';
import { runTraining } from '../../src/train/loop.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir, tinyConfig, useCpu } from '../helpers.js';

beforeAll(useCpu);

describe('config refusals', () => {
  it('optimizer.schedule.minLr above optimizer.lr (the cosine would climb to minLr)', () => {
    const bad = () => validateConfig({ optimizer: { lr: 1e-3, schedule: { type: 'cosine', minLr: 1e-2 } } });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/optimizer\.schedule\.minLr \(0\.01\) is above optimizer\.lr \(0\.001\)/);
    expect(() => validateConfig({ optimizer: { lr: 1e-3, schedule: { type: 'cosine', minLr: 1e-4 } } })).not.toThrow();
    expect(
      () => validateConfig({ optimizer: { lr: 1e-3, schedule: { type: 'constant', minLr: 1e-2 } } }),
      'constant ignores minLr',
    ).not.toThrow();
  });

  it('a model.blockSize whose attention no tensor can hold, instead of a RangeError inside tfjs', () => {
    expect(() => validateConfig({ model: { blockSize: 100_000_000 } })).toThrow(
      /model\.blockSize 100000000: one layer's attention scores \(train\.batchSize x model\.nHead x blockSize\^2\) would be 1\.28e\+18 floats/,
    );
    expect(() => validateConfig({ model: { blockSize: 1024 }, train: { batchSize: 32 } })).not.toThrow();
  });

  it("model.vocabSize smaller than the tokenizer's vocabulary, instead of a GatherV2 index error", async () => {
    const cfg = tinyConfig(tempDir(), { model: { vocabSize: 100 } }); // compact 64 + 257 = 321 ids
    const err = await runTraining(cfg, {
      outDir: tempDir(),
      backend: { name: 'cpu', device: 'test', isSoftware: true },
      log: () => {},
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      "model.vocabSize (100) is smaller than the tokenizer's vocabulary (321 ids): token ids up to 320 have no embedding row",
    );
    expect(err.hint).toMatch(/model\.vocabSize=null .* or at least 321/);
  });
});
