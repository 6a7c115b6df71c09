// Sampling: temperature / top-k / top-p distributions, seeded draws, and generation from a checkpoint
// with a prompt longer than the context.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { samplingDistribution, drawToken } from '../../src/sample/sampling.js';
import { generate, loadSampler } from '../../src/sample/generate.js';
import { runTraining } from '../../src/train/loop.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir, tinyConfig, useCpu } from '../helpers.js';

beforeAll(useCpu);

describe('sampling distribution', () => {
  const logits = [2, 1, 0, -1, 5];
  it('greedy at temperature 0', () => {
    expect(Array.from(samplingDistribution(logits, 5, { temperature: 0, topK: 0, topP: 1 }))).toEqual([0, 0, 0, 0, 1]);
  });
  it('softmax at temperature 1, never padding ids', () => {
    const p = samplingDistribution([...logits, 9], 5, { temperature: 1, topK: 0, topP: 1 });
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    logits.forEach((l, i) => expect(p[i]).toBeCloseTo(Math.exp(l) / z, 12));
    expect(p[5]).toBe(0);
  });
  it('top-k keeps exactly k tokens', () => {
    const p = samplingDistribution(logits, 5, { temperature: 1, topK: 2, topP: 1 });
    expect(Array.from(p).filter((x) => x > 0).length).toBe(2);
    expect(p[4] + p[0]).toBeCloseTo(1, 12);
  });
  it('top-p keeps the smallest set reaching the mass', () => {
    // softmax: p(5) = 0.936, p(2) = 0.047 ...: top-p 0.9 keeps one token, 0.95 keeps two
    expect(
      Array.from(samplingDistribution(logits, 5, { temperature: 1, topK: 0, topP: 0.9 })).filter((x) => x > 0).length,
    ).toBe(1);
    expect(
      Array.from(samplingDistribution(logits, 5, { temperature: 1, topK: 0, topP: 0.95 })).filter((x) => x > 0).length,
    ).toBe(2);
  });
  it('draws by seed, matching the distribution', () => {
    const p = samplingDistribution(logits, 5, { temperature: 2, topK: 0, topP: 1 });
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 20 }, () => drawToken(p, r));
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const r = new Rng(3),
      counts = new Array(5).fill(0);
    for (let i = 0; i < 20000; i++) counts[drawToken(p, r)]++;
    counts.forEach((c, i) => expect(c / 20000).toBeCloseTo(p[i], 1));
  });
});

describe('generate', () => {
  it('samples from a checkpoint, crops long prompts, and repeats with the same seed', async () => {
    const out = tempDir();
    const cfg = tinyConfig(tempDir(), { train: { maxSteps: 2 } });
    await runTraining(cfg, { outDir: out, backend: { name: 'cpu', device: 'test', isSoftware: true }, log: () => {} });
    const sampler = loadSampler(join(out, 'checkpoint'));
    const prompt = 'Once upon a time there was a little cat who liked to play in the sun with a red ball every day.';
    expect(sampler.tokenizer.encode(prompt).length).toBeGreaterThan(cfg.model.blockSize);
    const opts = { ...cfg.sample, prompt, maxNewTokens: 12, seed: 5 };
    let streamed = '';
    const a = await generate(sampler, opts, 0, (t) => (streamed += t));
    const b = await generate(sampler, opts, 0);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(a.tokens.length).toBeLessThanOrEqual(12);
    expect(b).toEqual(a);
    expect(streamed).toBe(a.text);
    const greedy = await generate(sampler, { ...opts, temperature: 0, seed: 1 }, 0);
    const greedy2 = await generate(sampler, { ...opts, temperature: 0, seed: 2 }, 0);
    expect(greedy2.tokens).toEqual(greedy.tokens);
  });
});
