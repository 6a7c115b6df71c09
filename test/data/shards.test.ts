// Token shards: uint16/uint32 round trips through the streaming writer, atomic finish/abort, several shards
// as one stream, and refusal (by message) of a wrong magic, version, tokenizer identity or a truncated file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import {
  ConcatTokenStream, SHARD_HEADER_BYTES, ShardWriter, forEachShardChunk, readShard, readShardHeader, readShards,
} from '../../src/data/shards.js';
import { ArrayTokenStream } from '../../src/data/batches.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'nm-shards-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function randomTokens(n: number, vocab: number, seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.int(vocab));
}

function writeShard(path: string, tokens: number[], vocab: number, identity = 'compact-test', chunk = 777): void {
  const w = new ShardWriter(path, vocab, identity, 100); // tiny buffer: many flushes
  for (let i = 0; i < tokens.length; i += chunk) w.append(tokens.slice(i, i + chunk));
  expect(existsSync(path)).toBe(false); // nothing at the final name before finish()
  expect(w.finish()).toBe(tokens.length);
}

describe('token shards', () => {
  it.each([[2305, 2], [50257, 2], [65536, 2], [100_000, 4]])('round-trips vocab %i as %i-byte tokens', (vocab, bytes) => {
    const path = join(dir, 'train.bin'), tokens = randomTokens(5000, vocab, vocab);
    tokens[0] = vocab - 1;
    writeShard(path, tokens, vocab);
    expect(statSync(path).size).toBe(SHARD_HEADER_BYTES + bytes * tokens.length);
    const shard = readShard(path, { identity: 'compact-test' });
    expect(shard.header).toEqual({ version: 1, dtypeBytes: bytes, vocabSize: vocab, tokenCount: 5000, identity: 'compact-test' });
    expect(Array.from(shard.tokens)).toEqual(tokens);
    const out = new Int32Array(10);
    shard.read(4990, out);
    expect(Array.from(out)).toEqual(tokens.slice(4990));
    const chunks: number[] = [];
    forEachShardChunk(path, (t) => { chunks.push(...t); }, { chunkTokens: 333 });
    expect(chunks).toEqual(tokens);
    expect(readdirSync(dir)).toEqual(['train.bin']); // no temp file left
  });

  it('abort() leaves nothing behind; out-of-vocabulary tokens are refused', () => {
    const w = new ShardWriter(join(dir, 'a.bin'), 100, 'x');
    w.append([1, 2, 3]);
    expect(() => w.append([5, 100])).toThrow(/token 100 is outside the vocabulary \[0, 100\) while writing .*a\.bin/);
    w.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads several shards as one stream, across boundaries', () => {
    const parts = [randomTokens(10, 500, 1), randomTokens(1, 500, 2), randomTokens(25, 500, 3)];
    const paths = parts.map((p, i) => join(dir, `s${i}.bin`));
    parts.forEach((p, i) => writeShard(paths[i], p, 500));
    const all = parts.flat(), stream = readShards(paths, { identity: 'compact-test' });
    expect(stream).toBeInstanceOf(ConcatTokenStream);
    expect(stream.length).toBe(36);
    for (const [offset, n] of [[0, 36], [8, 5], [10, 1], [9, 3], [11, 25], [35, 1]]) {
      const out = new Int32Array(n);
      stream.read(offset, out);
      expect(Array.from(out)).toEqual(all.slice(offset, offset + n));
    }
    expect(() => stream.read(30, new Int32Array(7))).toThrow(RangeError);
    const concat = new ConcatTokenStream([new ArrayTokenStream([]), new ArrayTokenStream([7, 8]), new ArrayTokenStream([9])]);
    const out = new Int32Array(3);
    concat.read(0, out);
    expect(Array.from(out)).toEqual([7, 8, 9]);
  });

  it('refuses a wrong tokenizer identity, magic, version, or a truncated file, naming the file and the fix', () => {
    const path = join(dir, 'val.bin');
    writeShard(path, randomTokens(100, 300, 4), 300, 'compact-aaaa');
    const regenerate = 'run `npx tsx prepare.ts --config tiny` again';
    expect(() => readShard(path, { identity: 'compact-bbbb', regenerate }))
      .toThrow(/token shard .*val\.bin was made with tokenizer compact-aaaa, not the expected compact-bbbb/);
    try {
      readShard(path, { identity: 'compact-bbbb', regenerate });
    } catch (err) {
      expect((err as { name: string; hint: string }).name).toBe('DataError');
      expect((err as { hint: string }).hint).toBe(regenerate);
    }
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad.write('GARBAGE!', 0, 'latin1');
    writeFileSync(path, bad);
    expect(() => readShard(path)).toThrow(/val\.bin is not a nanometa token shard \(magic "GARBAGE!", expected NMTOKENS\)/);
    const v2 = Buffer.from(good);
    v2.writeUInt32LE(99, 8);
    writeFileSync(path, v2);
    expect(() => readShardHeader(path)).toThrow(/has format version 99; this version of nanometa reads version 1/);
    writeFileSync(path, good);
    truncateSync(path, good.length - 1);
    expect(() => readShard(path)).toThrow(/val\.bin is truncated: 263 bytes, its header says 100 tokens \(264 bytes\)/);
    truncateSync(path, 10);
    expect(() => readShard(path)).toThrow(/is truncated: 10 bytes, shorter than its 64-byte header/);
    expect(() => readShard(join(dir, 'missing.bin'))).toThrow(/missing\.bin cannot be opened \(ENOENT\)/);
  });

  it('refuses shards of different tokenizers in one stream', () => {
    writeShard(join(dir, 'a.bin'), [1, 2], 10, 'tok-a');
    writeShard(join(dir, 'b.bin'), [3], 10, 'tok-b');
    expect(() => readShards([join(dir, 'a.bin'), join(dir, 'b.bin')])).toThrow(/b\.bin was made with tokenizer tok-b, but .*a\.bin with tok-a/);
  });
});
