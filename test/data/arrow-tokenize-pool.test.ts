// Tokenization on worker threads (src/data/tokenize-pool.ts): the same token stream as one thread and as
// gpt-tokenizer called directly, the same stats and maxTokens cut as tokenizeStories, compact ids too.
import { afterAll, describe, expect, it } from 'vitest';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { closeTokenizePool, encodeStories, parallelTokenize } from '../../src/data/tokenize-pool.js';
import { tokenizeStories, type TokenSink } from '../../src/data/tokenize.js';
import { buildCompactInfo, gpt2Info, gpt2Tokenizer, loadTokenizer, TokenCounter } from '../../src/data/tokenizer.js';
import type { Tokenizer } from '../../src/data/types.js';
import { fixtureStories } from './hub-fixtures.js';

const stories = fixtureStories('TinyStoriesV2-GPT4-train.head150.txt').slice(0, 150);
// Small chunks, no inline start: every chunk goes through the two workers, interleaved.
const POOL = { workers: 2, chunkChars: 4 * 1024, inlineChars: 0 };

afterAll(() => closeTokenizePool());

async function* iterate(items: string[]) {
  yield* items;
}

function collect(): TokenSink & { ids: number[] } {
  const ids: number[] = [];
  return { ids, append: (tokens) => { for (let i = 0; i < tokens.length; i++) ids.push(tokens[i]); } };
}

async function run(tokenize: typeof tokenizeStories, tokenizer: Tokenizer, maxTokens: number | null = null) {
  const sink = collect();
  const stats = await tokenize(iterate(stories), tokenizer, sink, { maxTokens });
  return { ids: sink.ids, stats: { ...stats, seconds: 0 } };
}

describe('tokenize pool', () => {
  it('workers give exactly the single-threaded stream, which is gpt-tokenizer + end-of-text per story', async () => {
    const direct: number[] = [];
    for (const s of stories) direct.push(...encode(s, { disallowedSpecial: new Set() }), 50256);
    const chunks: Uint32Array[] = [];
    for await (const chunk of encodeStories(iterate(stories), gpt2Info(), POOL)) chunks.push(chunk.tokens);
    expect(chunks.length).toBeGreaterThan(4);
    const pooled = chunks.flatMap((c) => Array.from(c));
    const single: number[] = [];
    for await (const chunk of encodeStories(stories, gpt2Info(), { workers: 0 })) single.push(...chunk.tokens);
    expect(pooled.length).toBe(direct.length);
    expect(pooled).toEqual(direct);
    expect(single).toEqual(direct);
  });

  it.each([null, 20_000, 1])('parallelTokenize = tokenizeStories (tokens, stories, bytes, cut) with maxTokens %s', async (maxTokens) => {
    const a = await run(tokenizeStories, gpt2Tokenizer(), maxTokens);
    const b = await run(parallelTokenize(POOL), gpt2Tokenizer(), maxTokens);
    expect(b.ids).toEqual(a.ids);
    expect(b.stats).toEqual(a.stats);
    if (maxTokens) expect(b.ids.length).toBe(maxTokens);
    expect(b.stats.truncated).toBe(maxTokens !== null);
  });

  it('compact-vocabulary ids from workers equal the single-threaded ones and decode to the text', async () => {
    const counter = new TokenCounter();
    for (const s of stories) counter.append(encode(s, { disallowedSpecial: new Set() }));
    const compact = loadTokenizer(buildCompactInfo(counter.counts, 300));
    const a = await run(tokenizeStories, compact);
    const b = await run(parallelTokenize(POOL), compact);
    expect(b.ids).toEqual(a.ids);
    expect(compact.decode(b.ids)).toBe(stories.map((s) => `${s}<|endoftext|>`).join(''));
  });

  it('a pass stopped early leaves the shared workers usable for the next pass', async () => {
    let seen = 0;
    for await (const chunk of encodeStories(iterate(stories), gpt2Info(), POOL)) {
      seen += chunk.tokens.length;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    const again = await run(parallelTokenize(POOL), gpt2Tokenizer(), 500);
    expect(again.ids.length).toBe(500);
  });
});
