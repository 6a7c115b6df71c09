// BatchSampler over prepared token streams: every row is a window of the stream (y = x shifted by one), at
// the offsets the seeded RNG draws, the same over one shard or several, and it resumes from its state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { ArrayTokenStream, BatchSampler } from '../../src/data/batches.js';
import { ShardWriter, readShards } from '../../src/data/shards.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'nm-batches-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tokens = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1000);

function shardStream(pieces: number[]) {
  const paths: string[] = [];
  let start = 0;
  pieces.forEach((n, i) => {
    const w = new ShardWriter(join(dir, `${i}.bin`), 1000, 'test');
    w.append(tokens.slice(start, start + n));
    w.finish();
    paths.push(join(dir, `${i}.bin`));
    start += n;
  });
  return readShards(paths);
}

describe('BatchSampler over token shards', () => {
  it('draws windows at the seeded offsets, with y = x shifted by one', () => {
    const T = 16, B = 8, stream = shardStream([3000]);
    const sampler = new BatchSampler(stream, T, B, 42), rng = new Rng(42);
    for (let step = 0; step < 5; step++) {
      const { x, y } = sampler.next();
      for (let b = 0; b < B; b++) {
        const offset = rng.int(tokens.length - T - 1);
        expect(Array.from(x.subarray(b * T, (b + 1) * T))).toEqual(tokens.slice(offset, offset + T));
        expect(Array.from(y.subarray(b * T, (b + 1) * T))).toEqual(tokens.slice(offset + 1, offset + T + 1));
      }
    }
  });

  it('gives the same batches over several shards, in memory, and after resuming from its state', () => {
    const one = new BatchSampler(new ArrayTokenStream(tokens), 32, 4, 7);
    const many = new BatchSampler(shardStream([1000, 5, 995, 1000]), 32, 4, 7);
    for (let i = 0; i < 20; i++) expect(many.next()).toEqual(one.next());
    const resumed = new BatchSampler(shardStream([3000]), 32, 4, one.getState());
    for (let i = 0; i < 5; i++) expect(resumed.next()).toEqual(one.next());
  });
});
