// The Arrow reader on Arrow files in test/fixtures: a `datasets` save_to_disk split of TinyStories stories and
// Apache Arrow's own integration files (IPC stream and file, utf8 and large_utf8) against their golden JSON; and a
// real `datasets` split (SST-2, in ../shared only: its licence is unclear, so it is not committed).
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectArrowFormat, listArrowFiles, newTextReadStats, readArrowTexts } from '../../src/data/arrow.js';
import { DataError } from '../../src/util/errors.js';
import { arrowSource } from '../../src/data/arrow-sources.js';
import { DataSchema } from '../../src/config/schema.js';
import { fixture, needShared } from '../fixtures.js';
import { fixtureStories } from './hub-fixtures.js';

const DATASET = fixture('hf-datasets-tinystories-validation');
const TESTING = fixture('arrow-testing');

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'nanometa-arrow-'));
  temps.push(dir);
  return dir;
};
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function readAll(path: string, column: string) {
  const stats = newTextReadStats();
  const texts: string[] = [];
  for await (const t of readArrowTexts(path, column, stats)) texts.push(t);
  return { texts, stats };
}

/** The non-null values of `column` in Arrow's integration JSON (all batches), and its null count. */
function golden(name: string, column: string): { values: string[]; nulls: number; rows: number } {
  const json = JSON.parse(gunzipSync(readFileSync(join(TESTING, `${name}.json.gz`))).toString('utf8')) as {
    batches: { count: number; columns: { name: string; VALIDITY: number[]; DATA: string[] }[] }[];
  };
  const values: string[] = [];
  let nulls = 0, rows = 0;
  for (const batch of json.batches) {
    const col = batch.columns.find((c) => c.name === column)!;
    rows += batch.count;
    col.VALIDITY.forEach((valid, i) => (valid ? values.push(col.DATA[i]) : nulls++));
  }
  return { values, nulls, rows };
}

describe('arrow reader', () => {
  it('reads a datasets save_to_disk folder through its state.json (IPC stream, story column)', async () => {
    expect(listArrowFiles(DATASET)).toEqual([join(DATASET, 'data-00000-of-00001.arrow')]);
    expect(detectArrowFormat(join(DATASET, 'data-00000-of-00001.arrow'))).toBe('stream');
    const { texts, stats } = await readAll(DATASET, 'story');
    expect(stats).toEqual({ files: 1, rows: 60, nulls: 0 });
    expect(texts).toEqual(fixtureStories().slice(0, 60));
  });

  it('reads a save_to_disk folder written by the datasets library itself (SST-2)', async (ctx) => {
    const sst2 = needShared(ctx, 'data', 'arrow-fixtures', 'hf-datasets-sst2-validation');
    expect(detectArrowFormat(join(sst2, 'data-00000-of-00001.arrow'))).toBe('stream');
    const { texts, stats } = await readAll(sst2, 'sentence');
    expect(stats).toEqual({ files: 1, rows: 872, nulls: 0 });
    expect(texts[0]).toBe("it 's a charming and often affecting journey . ");
    expect(texts[1]).toBe('unflinchingly bleak and desperate ');
    const err = await readAll(sst2, 'text').catch((e) => e);
    expect(err.message).toMatch(/no column 'text'; the columns are: idx \(Int32\), sentence \(Utf8\), label \(Int64\)/);
  });

  it.each([
    ['generated_primitive', 'stream', 'utf8_nullable'],
    ['generated_primitive', 'arrow_file', 'utf8_nullable'],
    ['generated_primitive', 'arrow_file', 'utf8_nonnullable'],
    ['generated_primitive_large_offsets', 'stream', 'largeutf8_nullable'],
    ['generated_primitive_large_offsets', 'arrow_file', 'largeutf8_nonnullable'],
  ])('%s.%s column %s equals the golden JSON (2 record batches, nulls skipped and counted)', async (name, ext, column) => {
    const path = join(TESTING, `${name}.${ext}`);
    expect(detectArrowFormat(path)).toBe(ext === 'stream' ? 'stream' : 'file');
    const want = golden(name, column);
    const { texts, stats } = await readAll(path, column);
    expect(texts).toEqual(want.values);
    expect(stats).toEqual({ files: 1, rows: want.rows, nulls: want.nulls });
    expect(want.rows).toBe(37);
    if (column.includes('_nullable')) expect(want.nulls).toBeGreaterThan(0);
  });

  it('a missing column is a DataError listing the columns', async () => {
    const err = await readAll(DATASET, 'text').catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/no column 'text'; the columns are: idx \(Int32\), story \(Utf8\), words \(Int64\)/);
    expect(err.hint).toMatch(/data\.textColumn/);
    const notText = await readAll(join(TESTING, 'generated_primitive.stream'), 'int32_nullable').catch((e) => e);
    expect(notText.message).toMatch(/column 'int32_nullable' holds Int32, not text/);
  });

  it('truncated or foreign files are DataErrors naming the file', async () => {
    const dir = tempDir();
    const file = readFileSync(join(TESTING, 'generated_primitive.arrow_file'));
    const stream = readFileSync(join(DATASET, 'data-00000-of-00001.arrow'));
    const cases: [string, Uint8Array, RegExp][] = [
      ['cut.arrow', file.subarray(0, Math.floor(file.length / 2)), /Arrow IPC file is truncated/],
      ['cut-stream.arrow', stream.subarray(0, stream.length - 8), /Arrow IPC stream is truncated/],
      ['cut-mid.arrow', stream.subarray(0, 5000), /Arrow IPC stream is truncated/],
      ['text.arrow', Buffer.from('Once upon a time\n'), /not an Arrow IPC file or stream/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      const err = await readAll(join(dir, name), 'story').catch((e) => e);
      expect(err, name).toBeInstanceOf(DataError);
      expect(err.message).toContain(join(dir, name));
      expect(err.message).toMatch(message);
    }
  });

  it('a stream with a damaged body but an intact end marker is a corrupt-file DataError', async () => {
    const dir = tempDir();
    const stream = Buffer.from(readFileSync(join(DATASET, 'data-00000-of-00001.arrow')));
    // Overwrite the record batch message's length prefix (just after the schema message) with garbage.
    const schemaLength = stream.readInt32LE(4);
    stream.writeInt32LE(0x7ffffff0, 8 + schemaLength + 4);
    writeFileSync(join(dir, 'bad.arrow'), stream);
    const err = await readAll(join(dir, 'bad.arrow'), 'story').catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/corrupt Arrow IPC stream/);
  });

  it('a folder of Arrow files is read in name order; a folder without any is a DataError', async () => {
    const dir = tempDir();
    copyFileSync(join(TESTING, 'generated_primitive.stream'), join(dir, 'b.arrow'));
    copyFileSync(join(TESTING, 'generated_primitive.arrow_file'), join(dir, 'a.arrow'));
    const { texts, stats } = await readAll(dir, 'utf8_nonnullable');
    const once = golden('generated_primitive', 'utf8_nonnullable').values;
    expect(texts).toEqual([...once, ...once]);
    expect(stats.files).toBe(2);
    const empty = tempDir();
    expect(() => listArrowFiles(empty)).toThrow(/no Arrow files/);
  });

  it('arrow: a DatasetDict folder uses its train and validation splits; a folder splits files by name', async () => {
    const dict = tempDir();
    writeFileSync(join(dict, 'dataset_dict.json'), JSON.stringify({ splits: ['train', 'validation'] }));
    for (const split of ['train', 'validation']) {
      mkdirSync(join(dict, split));
      for (const f of ['data-00000-of-00001.arrow', 'state.json']) copyFileSync(join(DATASET, f), join(dict, split, f));
    }
    const cfg = DataSchema.parse({ textColumn: 'story' });
    const source = arrowSource(dict, cfg, () => {});
    const count = async (it: AsyncIterable<string>) => { let n = 0; for await (const _ of it) n++; return n; };
    expect(await count(source.train())).toBe(60);
    expect(source.val).not.toBeNull();
    expect(await count(source.val!())).toBe(60);

    const folder = tempDir();
    copyFileSync(join(TESTING, 'generated_primitive.stream'), join(folder, 'train-0.arrow'));
    copyFileSync(join(TESTING, 'generated_primitive.arrow_file'), join(folder, 'validation-0.arrow'));
    const split = arrowSource(folder, DataSchema.parse({ textColumn: 'utf8_nonnullable' }), () => {});
    expect(await count(split.train())).toBe(37);
    expect(await count(split.val!())).toBe(37);
    expect(split.description).toMatch(/1 train \+ 1 validation files/);
  });
});
