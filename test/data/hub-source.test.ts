// `hf:OWNER/NAME` end to end against the loopback Hub imitation: download -> parquet -> Arrow cache ->
// token shards, with the dataset's own validation split and token counts equal to gpt-tokenizer's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { DataSchema } from '../../src/config/schema.js';
import { prepareData } from '../../src/data/prepare.js';
import { hubCacheDir } from '../../src/data/hf-download.js';
import { parallelTokenize } from '../../src/data/tokenize-pool.js';
import { startHubMock, type HubMock } from './hub-mock.js';
import { tinyStoriesRepo } from './hub-fixtures.js';

const REPO = 'roneneldan/TinyStories';
const repo = tinyStoriesRepo(24);
let hub: HubMock;
let cacheDir: string;
beforeAll(async () => {
  hub = await startHubMock(REPO, repo.files, { pageSize: 3 });
  cacheDir = mkdtempSync(join(tmpdir(), 'nanometa-hfsrc-'));
});
afterAll(async () => {
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const gpt2Count = (stories: string[]) => stories.reduce((n, s) => n + encode(s, { disallowedSpecial: new Set() }).length + 1, 0);

describe('hf: source', () => {
  it('downloads, converts to Arrow and tokenizes; a second run reuses everything', async () => {
    const cfg = DataSchema.parse({ source: `hf:${REPO}`, cacheDir, hubUrl: hub.url, maxTrainShards: 1 });
    const data = await prepareData(cfg, { log: () => {} });
    expect(data.train.length).toBe(gpt2Count(repo.train[0]));
    expect(data.val.length).toBe(gpt2Count(repo.validation));
    expect(data.description).toMatch(/^hf: roneneldan\/TinyStories@main/);
    expect(readdirSync(join(cacheDir, 'arrow')).length).toBe(2);
    const root = hubCacheDir(cacheDir, REPO, 'main');
    expect(readdirSync(join(root, 'data')).sort()).toEqual([
      'train-00000-of-00002-2d5a1467fff1081b.parquet', 'validation-00000-of-00001-869c898b519ad725.parquet']);

    const downloads = hub.requests.filter((r) => r.url.includes('/resolve/')).length;
    const again = await prepareData(cfg, { log: () => {} });
    expect(again.reused).toBe(true);
    expect(hub.requests.filter((r) => r.url.includes('/resolve/')).length).toBe(downloads);

    // A token limit stops reading inside the first train shard: the second one is never downloaded
    // (the tokenizer reads ahead one chunk of text; small chunks here, as these shards are tiny).
    const limited = await prepareData({ ...cfg, maxTrainShards: null, maxTrainTokens: 500 },
      { log: () => {}, tokenize: parallelTokenize({ chunkChars: 1024 }) });
    expect(limited.train.length).toBe(500);
    expect(readdirSync(join(root, 'data')).length).toBe(2);

    // Both train shards: a different source identity, so new prepared data with both shards' tokens.
    const both = await prepareData({ ...cfg, maxTrainShards: null }, { log: () => {} });
    expect(both.reused).toBe(false);
    expect(both.train.length).toBe(gpt2Count([...repo.train[0], ...repo.train[1]]));
  });
});
