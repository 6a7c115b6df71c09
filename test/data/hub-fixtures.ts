// Small TinyStories parquet files built at test time from test/fixtures/tinystories (hyparquet-writer),
// laid out like the Hub dataset roneneldan/TinyStories (data/train-0000K-of-0000N-*.parquet). Test helper.
import { readFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { fixture } from '../fixtures.js';

/** Stories of a TinyStories excerpt in test/fixtures/tinystories (split on `<|endoftext|>` lines, trimmed, non-empty). */
export function fixtureStories(file = 'TinyStories-valid.head100.txt'): string[] {
  return readFileSync(fixture('tinystories', file), 'utf8').split(/\n<\|endoftext\|>\n?/).map((s) => s.trim()).filter(Boolean);
}

/** A parquet file with a `text` column (nulls allowed) and an `id` column, `rowGroupSize` rows per row group. */
export function storiesParquet(texts: (string | null)[], rowGroupSize = 16): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'text', data: texts, type: 'STRING' },
      { name: 'id', data: texts.map((_, i) => i), type: 'INT32' },
    ],
    rowGroupSize,
  }));
}

/** The mock dataset: 2 train shards and 1 validation shard of real stories, plus files that are not shards. */
export function tinyStoriesRepo(perShard = 40): { files: { path: string; data: Uint8Array }[]; train: string[][]; validation: string[] } {
  const stories = fixtureStories();
  const train = [stories.slice(0, perShard), stories.slice(perShard, 2 * perShard)];
  const validation = stories.slice(2 * perShard, 2 * perShard + perShard / 2);
  return {
    train,
    validation,
    files: [
      { path: '.gitattributes', data: Buffer.from('*.parquet filter=lfs diff=lfs merge=lfs -text\n') },
      { path: 'README.md', data: Buffer.from('# TinyStories (test copy)\n') },
      { path: 'data/train-00000-of-00002-2d5a1467fff1081b.parquet', data: storiesParquet(train[0]) },
      { path: 'data/train-00001-of-00002-5852b56a2bd28fd9.parquet', data: storiesParquet(train[1]) },
      { path: 'data/validation-00000-of-00001-869c898b519ad725.parquet', data: storiesParquet(validation) },
    ],
  };
}
