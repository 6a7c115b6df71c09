// estimateLoss's batches: drawn by train.evalSeed when it is set, so runs of different training seeds are scored
// on the same batches (compare --seeds); by train.seed when it is null.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { ArrayTokenStream } from '../../src/data/batches.js';
import type { PreparedData } from '../../src/data/types.js';
import { buildModel } from '../../src/model/gpt.js';
import { estimateLoss } from '../../src/train/eval.js';
import { tempDir, tinyConfig, useCpu } from '../helpers.js';

beforeAll(useCpu);

describe('estimateLoss', () => {
  it('uses train.evalSeed for its batches when set, train.seed otherwise', async () => {
    const tokens = Int32Array.from({ length: 4000 }, (_, i) => (i * i * 31 + (i >> 3)) % 64);
    const data = {
      train: new ArrayTokenStream(tokens),
      val: new ArrayTokenStream(tokens.slice(0, 2000)),
      tokenizer: { vocabSize: 64 },
      description: 'test tokens',
    } as unknown as PreparedData;
    const dir = tempDir('nanometa-eval-');
    const model = buildModel(tinyConfig(dir).model, 64, 1); // one model: only the batches differ below
    const loss = (train: Partial<Config['train']>) => {
      const cfg = tinyConfig(dir, { train });
      return estimateLoss(model, data, cfg, 0);
    };
    const seed1 = await loss({ seed: 1, evalSeed: null });
    const seed2 = await loss({ seed: 2, evalSeed: null });
    expect(seed2.valLoss).not.toBe(seed1.valLoss); // different seeds draw different eval batches
    const fixed1 = await loss({ seed: 1, evalSeed: 1337 });
    const fixed2 = await loss({ seed: 2, evalSeed: 1337 });
    expect(fixed2).toEqual(fixed1); // same batches whatever the training seed
    expect(await loss({ seed: 1337, evalSeed: null })).toEqual(fixed1);
    model.dispose();
  });
});
