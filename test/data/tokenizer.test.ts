// Tokenizers: GPT-2 ids equal gpt-tokenizer's own encoding of real TinyStories; the compact vocabulary is
// lossless (unicode, emoji, control bytes, tokens outside the kept set) and its mapping is checked on load.
import { describe, expect, it } from 'vitest';
import { encode as directEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { readStoryFiles } from '../../src/data/sources.js';
import {
  COMPACT_EOT_ID, GPT2_EOT_ID, TokenCounter, buildCompactInfo, compactTokenizer, createStreamDecoder, gpt2ByteTokenIds,
  gpt2TokenBytes, gpt2Tokenizer, loadTokenizer,
} from '../../src/data/tokenizer.js';
import { tokenizeStories } from '../../src/data/tokenize.js';
import { fixture } from '../fixtures.js';

const VALID = fixture('tinystories', 'TinyStories-valid.head100.txt');

async function realStories(n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const s of readStoryFiles([VALID])) {
    out.push(s);
    if (out.length === n) break;
  }
  return out;
}

const HARD_TEXTS = [
  'naïve café — “curly quotes” and ‘single’ ones… 日本語のテキスト, 한국어, Ελληνικά, עברית',
  'emoji: 😀 👨‍👩‍👧‍👦 🏳️‍🌈 🇯🇵 and a lone \u{1F9A9}',
  'control bytes: \u0000\u0001\u0002\t\r\n\u007f\u0085 and \uFFFD and \u00AD soft hyphen',
  'rare words: Zyzzyva quixotically sesquipedalian xylophonist, and <|endoftext|> as plain text',
  '   leading spaces, trailing spaces   \n\n\ndouble newlines\u2028line separator',
];

describe('gpt2 tokenizer', () => {
  it('gives the same ids as gpt-tokenizer on real stories, and one end-of-text per story', async () => {
    const stories = await realStories(60);
    const tok = gpt2Tokenizer();
    let expected = 0;
    for (const s of stories) {
      const direct = directEncode(s);
      expect(tok.encode(s)).toEqual(direct);
      expected += direct.length + 1;
      expect(tok.decode(direct)).toBe(s);
    }
    const counter = new TokenCounter();
    const stats = await tokenizeStories((async function* () { yield* stories; })(), tok, counter);
    expect(stats.tokens).toBe(expected);
    expect(stats.stories).toBe(60);
    expect(counter.counts[GPT2_EOT_ID]).toBe(60);
    expect(counter.counts.reduce((a, b) => a + b, 0)).toBe(expected);
  });

  it('knows the single-byte tokens are in bytes_to_unicode order, not byte order', () => {
    const ids = gpt2ByteTokenIds(), table = gpt2TokenBytes();
    expect(new Set(ids).size).toBe(256);
    for (let b = 0; b < 256; b++) expect(Array.from(table[ids[b]])).toEqual([b]);
    expect(ids[0x21]).toBe(0); // '!' is GPT-2 id 0
    expect(ids[0x41]).toBe(32); // 'A'
    expect(ids[0x20]).toBe(220); // ' ' (Ġ)
    expect(ids[0x0a]).toBe(198); // '\n' (Ċ)
    expect(ids[0x00]).toBe(188);
    expect(table[GPT2_EOT_ID].length).toBe(0);
  });
});

describe('compact tokenizer', () => {
  async function compactFromStories(keep: number) {
    const counter = new TokenCounter(), gpt2 = gpt2Tokenizer();
    for (const s of await realStories(100)) counter.append(gpt2.encode(s));
    return { info: buildCompactInfo(counter.counts, keep), counts: counter.counts };
  }

  it('keeps bytes, end-of-text, then the most frequent tokens (ties by smaller id)', async () => {
    const { info, counts } = await compactFromStories(300);
    expect(info.vocabSize).toBe(256 + 1 + 300);
    expect(info.eotId).toBe(COMPACT_EOT_ID);
    expect(info.gpt2Ids!.slice(0, 256)).toEqual(Array.from(gpt2ByteTokenIds()));
    expect(info.gpt2Ids![256]).toBe(GPT2_EOT_ID);
    const kept = info.gpt2Ids!.slice(257);
    for (let i = 1; i < kept.length; i++) {
      const [p, q] = [kept[i - 1], kept[i]];
      expect(counts[p] > counts[q] || (counts[p] === counts[q] && p < q)).toBe(true);
    }
    const fixed = new Set([...gpt2ByteTokenIds(), GPT2_EOT_ID]);
    let best = -1;
    counts.forEach((c, id) => { if (!fixed.has(id) && (best < 0 || c > counts[best])) best = id; });
    expect(kept[0]).toBe(best);
    expect(kept).toContain(directEncode(' the')[0]);
    // Ties: three tokens with equal counts come out in id order; zero counts are never kept.
    const ties = new Float64Array(50257);
    ties[5000] = ties[300] = ties[9000] = 4;
    ties[400] = 7;
    const t = buildCompactInfo(ties, 10);
    expect(t.gpt2Ids!.slice(257)).toEqual([400, 300, 5000, 9000]);
    expect(buildCompactInfo(ties, 2).gpt2Ids!.slice(257)).toEqual([400, 300]);
    expect(buildCompactInfo(ties, 2).identity).toBe(buildCompactInfo(Float64Array.from(ties), 2).identity);
    expect(buildCompactInfo(ties, 2).identity).not.toBe(buildCompactInfo(ties, 3).identity);
  });

  it('round-trips text exactly, including tokens outside the kept set (byte fallback)', async () => {
    const { info } = await compactFromStories(300);
    const tok = compactTokenizer(info);
    for (const text of [...HARD_TEXTS, ...(await realStories(20))]) {
      const ids = tok.encode(text);
      expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < info.vocabSize)).toBe(true);
      expect(tok.decode(ids)).toBe(text);
    }
    // ' the' is kept as one token; CJK is not in a TinyStories top-300, so it falls back to its UTF-8 bytes.
    expect(tok.encode(' the')).toHaveLength(1);
    expect(tok.encode(' the')[0]).toBeGreaterThanOrEqual(257);
    const cjk = '日本語';
    expect(tok.encode(cjk)).toEqual(Array.from(new TextEncoder().encode(cjk)));
    expect(tok.decode([...tok.encode('Hi'), COMPACT_EOT_ID])).toBe('Hi<|endoftext|>');
    expect(tok.decode([info.vocabSize + 5])).toBe('\uFFFD');
  });

  it('streams decoding token by token without breaking multi-byte characters', async () => {
    const { info } = await compactFromStories(50);
    const text = HARD_TEXTS[0] + HARD_TEXTS[1];
    const dec = createStreamDecoder(info);
    let out = '';
    for (const id of compactTokenizer(info).encode(text)) out += dec.push(id);
    expect(out + dec.flush()).toBe(text);
  });

  it('refuses a mapping whose identity does not match, naming the identity', async () => {
    const { info } = await compactFromStories(50);
    expect(loadTokenizer(info).info.identity).toBe(info.identity);
    const swapped = { ...info, gpt2Ids: [...info.gpt2Ids!] };
    [swapped.gpt2Ids[300], swapped.gpt2Ids[301]] = [swapped.gpt2Ids[301], swapped.gpt2Ids[300]];
    expect(() => loadTokenizer(swapped)).toThrow(new RegExp(`mapping ${info.identity} is invalid: its identity does not match`));
    expect(() => loadTokenizer({ ...info, vocabSize: 10 })).toThrow(/gpt2Ids has \d+ entries, vocabSize is 10/);
    expect(() => loadTokenizer({ ...gpt2Tokenizer().info, identity: 'gpt2-other' })).toThrow(/unknown GPT-2 tokenizer identity gpt2-other/);
  });
});
