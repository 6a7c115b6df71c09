// prepareData: shards hold exactly the tokenized stories (one end-of-text each), folders are reused while the
// inputs are unchanged and re-made when they change, maxTrainTokens is honoured, failures leave nothing trusted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as directEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { DataSchema, type DataConfig } from '../../src/config/schema.js';
import { prepareData, preparedDir } from '../../src/data/prepare.js';
import { holdOut, readStoryFiles, resolveSource } from '../../src/data/sources.js';
import { generateSyntheticStories } from '../../src/data/synthetic.js';
import { loadTokenizer } from '../../src/data/tokenizer.js';
import { tokenizeStories, type TokenizeFn } from '../../src/data/tokenize.js';
import type { TokenStream } from '../../src/data/types.js';
import { fixture } from '../fixtures.js';

const TRAIN_V2 = fixture('tinystories', 'TinyStoriesV2-GPT4-train.head150.txt');

let cacheDir: string;
beforeEach(() => { cacheDir = mkdtempSync(join(tmpdir(), 'nm-prepare-')); });
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

const cfg = (over: Partial<DataConfig>): DataConfig => ({ ...DataSchema.parse({}), cacheDir, ...over });
const all = (s: TokenStream) => { const out = new Int32Array(s.length); s.read(0, out); return out; };
async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s);
  return out;
}
/** A tokenize function that counts its calls. */
function counting(): TokenizeFn & { calls: number } {
  const fn = (async (...args: Parameters<TokenizeFn>) => { fn.calls++; return tokenizeStories(...args); }) as TokenizeFn & { calls: number };
  fn.calls = 0;
  return fn;
}

describe('prepareData', () => {
  it('writes the synthetic train/val stories, compact-tokenized, and decodes back to them', async () => {
    const c = cfg({ tokenizer: 'compact', compactVocabSize: 200, syntheticStories: 120, valFraction: 0.1, seed: 5 });
    const data = await prepareData(c);
    expect(data.tokenizer.kind).toBe('compact');
    expect(data.tokenizer.vocabSize).toBe(457);
    const stories = () => (async function* () { yield* generateSyntheticStories(5, 120); })();
    const train = await collect(holdOut(stories(), 0.1, 5, 'train')), val = await collect(holdOut(stories(), 0.1, 5, 'val'));
    expect(val).toHaveLength(12);
    const tok = loadTokenizer(data.tokenizer);
    const trainIds = all(data.train);
    expect(Math.max(...trainIds)).toBeLessThan(457);
    expect(tok.decode(trainIds)).toBe(train.map((s) => `${s}<|endoftext|>`).join(''));
    expect(tok.decode(all(data.val))).toBe(val.map((s) => `${s}<|endoftext|>`).join(''));
    expect(trainIds.filter((t) => t === data.tokenizer.eotId)).toHaveLength(108);
    const meta = JSON.parse(readFileSync(join(data.dir, 'meta.json'), 'utf8'));
    expect(meta.tokenizer).toEqual(data.tokenizer);
    expect(meta.train.tokens).toBe(data.train.length);
    expect(data.description).toMatch(/synthetic: 120 generated stories \(seed 5\): .* train \/ .* val tokens \(compact 457\)/);
  });

  it('gives GPT-2 token counts equal to a direct gpt-tokenizer encoding of real stories', async () => {
    const path = join(cacheDir, 'real.txt');
    const stories: string[] = [];
    for await (const s of readStoryFiles([TRAIN_V2])) if (stories.push(s) === 40) break;
    writeFileSync(path, stories.join('\n<|endoftext|>\n') + '\n<|endoftext|>\n');
    const data = await prepareData(cfg({ source: `text:${path}`, tokenizer: 'gpt2' }));
    const expected = stories.reduce((n, s) => n + directEncode(s).length + 1, 0);
    expect(data.train.length + data.val.length).toBe(expected);
    expect(data.tokenizer.vocabSize).toBe(50257);
    expect(Array.from(all(data.val)).filter((t) => t === 50256)).toHaveLength(2); // 5% of 40
  });

  it('reuses unchanged data without tokenizing, and re-makes it when an input changes', async () => {
    const tokenize = counting(), lines: string[] = [];
    const c = cfg({ tokenizer: 'compact', compactVocabSize: 64, syntheticStories: 60 });
    const first = await prepareData(c, { tokenize });
    expect(first.reused).toBe(false);
    expect(tokenize.calls).toBe(2); // train (gpt2 + counts), val
    const again = await prepareData(c, { tokenize, log: (l) => lines.push(l) });
    expect(again.reused).toBe(true);
    expect(tokenize.calls).toBe(2);
    expect(again.dir).toBe(first.dir);
    expect(lines.join('\n')).toMatch(/data: reusing/);
    expect(Array.from(all(again.train))).toEqual(Array.from(all(first.train)));
    const bigger = await prepareData({ ...c, compactVocabSize: 128 }, { tokenize });
    expect(bigger.reused).toBe(false);
    expect(tokenize.calls).toBe(4);
    expect(bigger.dir).not.toBe(first.dir);
    expect(bigger.tokenizer.vocabSize).toBeGreaterThan(first.tokenizer.vocabSize);
    expect(bigger.train.length).toBeLessThan(first.train.length); // more kept tokens, fewer byte fallbacks
    for (const change of [{ seed: 2 }, { valFraction: 0.2 }, { syntheticStories: 61 }, { tokenizer: 'gpt2' as const }]) {
      expect((await prepareData({ ...c, ...change }, { tokenize })).reused).toBe(false);
    }
  });

  it('honours maxTrainTokens exactly', async () => {
    for (const tokenizer of ['gpt2', 'compact'] as const) {
      const data = await prepareData(cfg({ tokenizer, compactVocabSize: 50, syntheticStories: 100, maxTrainTokens: 1234 }));
      expect(data.train.length).toBe(1234);
      expect(data.val.length).toBeGreaterThan(100);
    }
  });

  it('leaves nothing a later run trusts after a failure, and re-makes a damaged folder', async () => {
    const c = cfg({ syntheticStories: 50 });
    const failing: TokenizeFn = async (stories, tokenizer, sink, opts) => {
      let n = 0;
      return tokenizeStories((async function* () {
        for await (const s of stories) {
          if (++n === 30) throw new Error('simulated crash');
          yield s;
        }
      })(), tokenizer, sink, opts);
    };
    await expect(prepareData(c, { tokenize: failing })).rejects.toThrow(/simulated crash/);
    expect(readdirSync(cacheDir)).toEqual([]);
    // A temp folder left by a process that died is cleaned up; it is never mistaken for prepared data.
    const dead = `${preparedDir(c, await resolveSource(c))}.tmp-999999999-1`;
    mkdirSync(dead);
    writeFileSync(join(dead, 'meta.json'), '{}');
    const data = await prepareData(c);
    expect(data.reused).toBe(false);
    truncateSync(join(data.dir, 'train.bin'), 100);
    const lines: string[] = [];
    const remade = await prepareData(c, { log: (l) => lines.push(l) });
    expect(remade.reused).toBe(false);
    expect(lines.join('\n')).toMatch(/is damaged or unreadable \(token shard .*train\.bin is truncated.*\); preparing it again/);
    expect(remade.train.length).toBe(data.train.length);
    expect(readdirSync(cacheDir)).toEqual([remade.dir.split('/').pop()]);
    rmSync(join(remade.dir, 'meta.json'));
    expect((await prepareData(c)).reused).toBe(false); // no meta.json = never trusted
    expect(existsSync(join(remade.dir, 'meta.json'))).toBe(true);
  });

  it('refuses an empty validation split with a fix in the message', async () => {
    const path = join(cacheDir, 'two.txt');
    writeFileSync(path, 'One story.\n<|endoftext|>\nAnother story.\n');
    await expect(prepareData(cfg({ source: `text:${path}`, valFraction: 0 }))).rejects.toThrow(/the validation split is empty \(2 train stories, data\.valFraction 0\)/);
    expect(readdirSync(cacheDir)).toEqual(['two.txt']);
  });
});

describe('prepareData errors', () => {
  it('refuses an empty train split, naming the source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-prepare-empty-'));
    try {
      const path = join(dir, 'empty.txt');
      writeFileSync(path, '\n<|endoftext|>\n  \n<|endoftext|>\n');
      await expect(prepareData({ ...DataSchema.parse({}), cacheDir: dir, source: `text:${path}` }))
        .rejects.toThrow(/data\.source text:.*empty\.txt: the train split is empty/);
      expect(readdirSync(dir)).toEqual(['empty.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
