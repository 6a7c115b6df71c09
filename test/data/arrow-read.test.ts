// The Arrow reader on real Arrow files (../shared/data/arrow-fixtures): a `datasets` save_to_disk split and
// Apache Arrow's own integration files (IPC stream and file, utf8 and large_utf8) against their golden JSON.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectArrowFormat, listArrowFiles, newTextReadStats, readArrowTexts } from '../../src/data/arrow.js';
import { DataError } from '../../src/util/errors.js';
import { arrowSource } from '../../src/data/arrow-sources.js';
import { DataSchema } from '../../src/config/schema.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'shared', 'data', 'arrow-fixtures');
const SST2 = join(FIXTURES, 'hf-datasets-sst2-validation');
const TESTING = join(FIXTURES, 'arrow-testing');

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
  it('reads a datasets save_to_disk folder through its state.json (IPC stream, sentence column)', async () => {
    expect(listArrowFiles(SST2)).toEqual([join(SST2, 'data-00000-of-00001.arrow')]);
    expect(detectArrowFormat(join(SST2, 'data-00000-of-00001.arrow'))).toBe('stream');
    const { texts, stats } = await readAll(SST2, 'sentence');
    expect(stats).toEqual({ files: 1, rows: 872, nulls: 0 });
    expect(texts[0]).toBe("it 's a charming and often affecting journey . ");
    expect(texts[1]).toBe('unflinchingly bleak and desperate ');
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
    const err = await readAll(SST2, 'text').catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/no column 'text'; the columns are: idx \(Int32\), sentence \(Utf8\), label \(Int64\)/);
    expect(err.hint).toMatch(/data\.textColumn/);
    const notText = await readAll(join(TESTING, 'generated_primitive.stream'), 'int32_nullable').catch((e) => e);
    expect(notText.message).toMatch(/column 'int32_nullable' holds Int32, not text/);
  });

  it('truncated or foreign files are DataErrors naming the file', async () => {
    const dir = tempDir();
    const file = readFileSync(join(TESTING, 'generated_primitive.arrow_file'));
    const stream = readFileSync(join(SST2, 'data-00000-of-00001.arrow'));
    const cases: [string, Uint8Array, RegExp][] = [
      ['cut.arrow', file.subarray(0, Math.floor(file.length / 2)), /Arrow IPC file is truncated/],
      ['cut-stream.arrow', stream.subarray(0, stream.length - 8), /Arrow IPC stream is truncated/],
      ['cut-mid.arrow', stream.subarray(0, 5000), /Arrow IPC stream is truncated/],
      ['text.arrow', Buffer.from('Once upon a time\n'), /not an Arrow IPC file or stream/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      const err = await readAll(join(dir, name), 'sentence').catch((e) => e);
      expect(err, name).toBeInstanceOf(DataError);
      expect(err.message).toContain(join(dir, name));
      expect(err.message).toMatch(message);
    }
  });

  it('a stream with a damaged body but an intact end marker is a corrupt-file DataError', async () => {
    const dir = tempDir();
    const stream = Buffer.from(readFileSync(join(SST2, 'data-00000-of-00001.arrow')));
    // Overwrite the record batch message's length prefix (just after the schema message) with garbage.
    const schemaLength = stream.readInt32LE(4);
    stream.writeInt32LE(0x7ffffff0, 8 + schemaLength + 4);
    writeFileSync(join(dir, 'bad.arrow'), stream);
    const err = await readAll(join(dir, 'bad.arrow'), 'sentence').catch((e) => e);
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
      for (const f of ['data-00000-of-00001.arrow', 'state.json']) copyFileSync(join(SST2, f), join(dict, split, f));
    }
    const cfg = DataSchema.parse({ textColumn: 'sentence' });
    const source = arrowSource(dict, cfg, () => {});
    const count = async (it: AsyncIterable<string>) => { let n = 0; for await (const _ of it) n++; return n; };
    expect(await count(source.train())).toBe(872);
    expect(source.val).not.toBeNull();
    expect(await count(source.val!())).toBe(872);

    const folder = tempDir();
    copyFileSync(join(TESTING, 'generated_primitive.stream'), join(folder, 'train-0.arrow'));
    copyFileSync(join(TESTING, 'generated_primitive.arrow_file'), join(folder, 'validation-0.arrow'));
    const split = arrowSource(folder, DataSchema.parse({ textColumn: 'utf8_nonnullable' }), () => {});
    expect(await count(split.train())).toBe(37);
    expect(await count(split.val!())).toBe(37);
    expect(split.description).toMatch(/1 train \+ 1 validation files/);
  });
});
