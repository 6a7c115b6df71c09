// Parquet -> Arrow conversion (hyparquet + apache-arrow) and the parquet:/arrow: sources through
// prepareData: exact strings, nulls, token counts equal to gpt-tokenizer, errors that leave no output behind.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { DataSchema } from '../../src/config/schema.js';
import { convertParquetToArrow } from '../../src/data/parquet.js';
import { newTextReadStats, readArrowTexts } from '../../src/data/arrow.js';
import { prepareData } from '../../src/data/prepare.js';
import { parquetSource } from '../../src/data/arrow-sources.js';
import { DataError } from '../../src/util/errors.js';
import { fixture } from '../fixtures.js';
import { fixtureStories, storiesParquet } from './hub-fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nanometa-parquet-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const gpt2Count = (stories: string[]) => stories.reduce((n, s) => n + encode(s, { disallowedSpecial: new Set() }).length + 1, 0);

async function readAll(path: string, column = 'text') {
  const stats = newTextReadStats();
  const texts: string[] = [];
  for await (const t of readArrowTexts(path, column, stats)) texts.push(t);
  return { texts, stats };
}

describe('parquet -> arrow', () => {
  it('converts every row group, keeps the exact strings and counts the nulls', async () => {
    const stories: (string | null)[] = fixtureStories().slice(0, 50);
    stories[3] = null;
    stories[40] = null;
    writeFileSync(join(dir, 's.parquet'), storiesParquet(stories, 8)); // 7 row groups
    const rows = await convertParquetToArrow(join(dir, 's.parquet'), join(dir, 's.arrow'), 'text');
    expect(rows).toBe(50);
    const { texts, stats } = await readAll(join(dir, 's.arrow'));
    expect(texts).toEqual(stories.filter((s) => s !== null));
    expect(stats).toEqual({ files: 1, rows: 50, nulls: 2 });
    expect(readdirSync(dir).sort()).toEqual(['s.arrow', 's.parquet']); // no temp file left
    // A temp file of a conversion whose process died is removed by the next conversion.
    writeFileSync(join(dir, '.t.arrow.tmp-999999999'), 'half a file');
    await convertParquetToArrow(join(dir, 's.parquet'), join(dir, 't.arrow'), 'text');
    expect(readdirSync(dir).sort()).toEqual(['s.arrow', 's.parquet', 't.arrow']);
  });

  it('a missing column lists the columns; truncated or damaged parquet leaves no Arrow file', async () => {
    const bytes = storiesParquet(fixtureStories().slice(0, 40), 10);
    writeFileSync(join(dir, 'ok.parquet'), bytes);
    const missing = await convertParquetToArrow(join(dir, 'ok.parquet'), join(dir, 'ok.arrow'), 'story').catch((e) => e);
    expect(missing).toBeInstanceOf(DataError);
    expect(missing.message).toMatch(/no text column 'story'; the columns are: text, id \(text: text\)/);

    writeFileSync(join(dir, 'cut.parquet'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const cut = await convertParquetToArrow(join(dir, 'cut.parquet'), join(dir, 'cut.arrow'), 'text').catch((e) => e);
    expect(cut).toBeInstanceOf(DataError);
    expect(cut.message).toMatch(/cut\.parquet: Parquet file is truncated/);

    const damaged = Buffer.from(bytes);
    for (let i = 200; i < 2000; i++) damaged[i] = (damaged[i] * 31 + 7) & 0xff; // scramble pages, keep the footer
    writeFileSync(join(dir, 'bad.parquet'), damaged);
    const bad = await convertParquetToArrow(join(dir, 'bad.parquet'), join(dir, 'bad.arrow'), 'text').catch((e) => e);
    expect(bad).toBeInstanceOf(DataError);
    expect(bad.message).toMatch(/bad\.parquet: corrupt Parquet/);

    writeFileSync(join(dir, 'text.parquet'), 'Once upon a time');
    const foreign = await convertParquetToArrow(join(dir, 'text.parquet'), join(dir, 'text.arrow'), 'text').catch((e) => e);
    expect(foreign.message).toMatch(/not a Parquet file/);
    expect(readdirSync(dir).filter((n) => !n.endsWith('.parquet'))).toEqual([]);
  });
});

describe('parquet: and arrow: sources', () => {
  it('parquet: folder -> Arrow cache -> token shards with exactly gpt-tokenizer\'s token counts, converted once', async () => {
    const stories = fixtureStories();
    const train = stories.slice(0, 60), val = stories.slice(60, 80);
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'train-00000-of-00001.parquet'), storiesParquet(train));
    writeFileSync(join(dir, 'src', 'validation-00000-of-00001.parquet'), storiesParquet(val));
    const cfg = DataSchema.parse({ source: `parquet:${join(dir, 'src')}`, cacheDir: join(dir, 'cache') });
    const lines: string[] = [];
    const data = await prepareData(cfg, { log: (l) => lines.push(l) });
    expect(data.train.length).toBe(gpt2Count(train));
    expect(data.val.length).toBe(gpt2Count(val));
    const arrows = readdirSync(join(dir, 'cache', 'arrow'));
    expect(arrows.length).toBe(2);
    expect(arrows.every((n) => n.endsWith('.arrow'))).toBe(true);
    const again = await prepareData(cfg, { log: () => {} });
    expect(again.reused).toBe(true);
    // Changing the source file changes the source identity: the data is prepared again.
    writeFileSync(join(dir, 'src', 'train-00000-of-00001.parquet'), storiesParquet(train.slice(0, 30)));
    const changed = await prepareData(cfg, { log: () => {} });
    expect(changed.reused).toBe(false);
    expect(changed.train.length).toBe(gpt2Count(train.slice(0, 30)));
  });

  it('a damaged Arrow conversion in the cache is noticed and made again', async () => {
    const stories = fixtureStories().slice(0, 30);
    writeFileSync(join(dir, 's.parquet'), storiesParquet(stories));
    const cfg = DataSchema.parse({ source: `parquet:${join(dir, 's.parquet')}`, cacheDir: join(dir, 'cache') });
    const lines: string[] = [];
    const source = parquetSource(join(dir, 's.parquet'), cfg, (l) => lines.push(l));
    const read = async () => { const out: string[] = []; for await (const t of source.train()) out.push(t); return out; };
    expect(await read()).toEqual(stories);
    const [arrow] = readdirSync(join(dir, 'cache', 'arrow'));
    const path = join(dir, 'cache', 'arrow', arrow);
    writeFileSync(path, readFileSync(path).subarray(0, 1000)); // e.g. a copy of the cache cut short
    lines.length = 0;
    expect(await read()).toEqual(stories);
    expect(lines.join('\n')).toMatch(/Arrow IPC file is truncated.*; converting again/);
  });

  it('arrow: a save_to_disk folder with another text column; tokens equal gpt-tokenizer (train + held-out val)', async () => {
    const folder = fixture('hf-datasets-tinystories-validation');
    const cfg = DataSchema.parse({ source: `arrow:${folder}`, textColumn: 'story', cacheDir: join(dir, 'cache'), valFraction: 0.1 });
    const data = await prepareData(cfg, { log: () => {} });
    const { texts } = await readAll(folder, 'story');
    expect(texts.length).toBe(60);
    expect(data.train.length + data.val.length).toBe(gpt2Count(texts));
    expect(data.val.length).toBeGreaterThan(0);
  });

  it('an empty or all-null dataset is a DataError and leaves no prepared folder', async () => {
    writeFileSync(join(dir, 'empty.parquet'), storiesParquet([null, null, null]));
    const cfg = DataSchema.parse({ source: `parquet:${join(dir, 'empty.parquet')}`, cacheDir: join(dir, 'cache') });
    const err = await prepareData(cfg, { log: () => {} }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/empty/);
    expect(readdirSync(join(dir, 'cache')).filter((n) => !['arrow'].includes(n))).toEqual([]);
    expect(existsSync(join(dir, 'cache', 'arrow'))).toBe(true); // the conversion itself is complete and valid
  });
});
