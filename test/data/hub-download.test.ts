// The Hugging Face downloader end to end against a loopback Hub imitation (test/data/hub-mock.ts):
// listing with paging, shard choice, size + sha256 checks, resume after a cut connection, offline errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSchema, type DataConfig } from '../../src/config/schema.js';
import { downloadHfDataset, hubCacheDir, pickShards, splitOf } from '../../src/data/hf-download.js';
import { DataError } from '../../src/util/errors.js';
import { startHubMock, type HubMock } from './hub-mock.js';
import { tinyStoriesRepo } from './hub-fixtures.js';

const REPO = 'roneneldan/TinyStories';
const repo = tinyStoriesRepo();
const quiet = { log: () => {}, progress: () => ({ update: () => {}, stop: () => {} }) };
let hub: HubMock;
let cacheDir: string;

const config = (over: Partial<DataConfig> = {}): DataConfig =>
  DataSchema.parse({ source: `hf:${REPO}`, cacheDir, hubUrl: hub.url, ...over });
const served = (path: string) => repo.files.find((f) => f.path === path)!.data;
const local = (path: string) => join(hubCacheDir(cacheDir, REPO, 'main'), path);

beforeEach(async () => {
  hub = await startHubMock(REPO, repo.files, { pageSize: 2 });
  cacheDir = mkdtempSync(join(tmpdir(), 'nanometa-hub-'));
});
afterEach(async () => {
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('hf download', () => {
  it('lists every page, picks train + validation parquet shards, downloads and verifies them', async () => {
    const result = await downloadHfDataset(REPO, config(), quiet);
    const paths = repo.files.filter((f) => f.path.endsWith('.parquet')).map((f) => f.path);
    expect(result.train).toEqual([local(paths[0]), local(paths[1])]);
    expect(result.validation).toEqual([local(paths[2])]);
    for (const p of paths) expect(readFileSync(local(p)).equals(Buffer.from(served(p)))).toBe(true);
    // 8 entries (1 folder + 5 files ... ) at 2 per page: the Link rel="next" chain was followed to the end.
    const listings = hub.requests.filter((r) => r.url.startsWith(`/api/datasets/${REPO}/tree/main`));
    expect(listings.length).toBe(Math.ceil(6 / 2));
    expect(listings.slice(1).every((r) => r.url.includes('cursor='))).toBe(true);
    // Each shard: one Range probe (bytes=0-0) then one body request.
    expect(hub.requests.filter((r) => r.range === 'bytes=0-0').length).toBe(3);
    expect(result.manifest.shards.map((s) => s.sha256?.length)).toEqual([64, 64, 64]);
    expect(existsSync(`${local(paths[0])}.part`)).toBe(false);
  });

  it('limits the train shards with data.maxTrainShards and does not fetch complete files again', async () => {
    const first = await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), quiet);
    expect(first.train.length).toBe(1);
    const before = hub.requests.length;
    await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), quiet);
    const again = hub.requests.slice(before);
    expect(again.every((r) => r.url.includes('/api/datasets/'))).toBe(true); // listing only, no download
  });

  it('resumes a download whose connection was cut mid-way (Range on the .part file)', async () => {
    const path = repo.files[2].path;
    const size = served(path).length, cutAt = Math.floor(size * 0.4);
    hub.cutDownload(path, cutAt);
    const lines: string[] = [];
    await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), { ...quiet, log: (l) => lines.push(l) });
    expect(readFileSync(local(path)).equals(Buffer.from(served(path)))).toBe(true);
    const ranges = hub.requests.filter((r) => r.url.includes(path.split('/')[1]) && r.range && r.range !== 'bytes=0-0').map((r) => r.range);
    expect(ranges).toEqual(['bytes=0-', `bytes=${cutAt}-`]);
    expect(lines.join('\n')).toMatch(new RegExp(`connection lost at ${cutAt}/${size} bytes`));
  });

  it('keeps the .part of an interrupted download, and the next run resumes it', async () => {
    const path = repo.files[2].path;
    const size = served(path).length, cutAt = Math.floor(size / 3);
    hub.cutDownload(path, cutAt);
    const err = await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), { ...quiet, attempts: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(new RegExp(`downloading ${path} from ${hub.url}/datasets/.* failed after 1 attempt \\(.*\\); ` +
      `${cutAt} of ${size} bytes are kept in .*\\.part`));
    expect(err.hint).toMatch(/run the same command again to resume/);
    expect(existsSync(local(path))).toBe(false);
    expect(statSync(`${local(path)}.part`).size).toBe(cutAt);
    await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), quiet);
    expect(readFileSync(local(path)).equals(Buffer.from(served(path)))).toBe(true);
    expect(hub.requests.some((r) => r.range === `bytes=${cutAt}-`)).toBe(true);
    expect(existsSync(`${local(path)}.part`)).toBe(false);
  });

  it('refuses a download whose sha256 differs from the listing and deletes it', async () => {
    const path = repo.files[2].path;
    const bad = Buffer.from(served(path));
    bad[100] ^= 0xff;
    hub.corrupt(path, bad);
    const err = await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), quiet).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/has sha256 [0-9a-f]{64}, the listing says [0-9a-f]{64}/);
    expect(existsSync(local(path))).toBe(false);
    expect(existsSync(`${local(path)}.part`)).toBe(false);
  });

  it('without network: a DataError naming the URL and suggesting HF_ENDPOINT or a local source', async () => {
    const url = hub.url;
    await hub.close();
    const err = await downloadHfDataset(REPO, config({ hubUrl: url }), quiet).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`cannot reach ${url}/api/datasets/${REPO}/tree/main`);
    expect(err.hint).toMatch(/HF_ENDPOINT.*parquet:PATH or arrow:PATH/);
    hub = await startHubMock(REPO, repo.files); // for afterEach
  });

  it('without network, a complete earlier download is used as it is', async () => {
    const first = await downloadHfDataset(REPO, config(), quiet);
    const url = hub.url;
    await hub.close();
    const lines: string[] = [];
    const offline = await downloadHfDataset(REPO, config({ hubUrl: url }), { ...quiet, log: (l) => lines.push(l) });
    expect(offline.train).toEqual(first.train);
    expect(offline.validation).toEqual(first.validation);
    expect(lines.join('\n')).toMatch(/cannot list .*cannot reach .*; using the listing saved in .*manifest\.json/);
    hub = await startHubMock(REPO, repo.files);
  });

  it('without network and without a saved listing or the needed file, the error names what to do', async () => {
    await downloadHfDataset(REPO, config({ maxTrainShards: 1 }), quiet);
    const url = hub.url;
    await hub.close();
    // The saved listing is used, but the second train shard was never downloaded.
    const err = await downloadHfDataset(REPO, config({ hubUrl: url }), quiet).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/downloading data\/train-00001-of-00002-.*\.parquet: cannot reach .*\/resolve\/main\/data\/train-00001/);
    hub = await startHubMock(REPO, repo.files);
  });

  it('an unknown dataset is a DataError naming the URL and HTTP status', async () => {
    const err = await downloadHfDataset('nobody/nothing', config(), quiet).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/api\/datasets\/nobody\/nothing\/tree\/main answered HTTP 404/);
    expect(err.hint).toMatch(/check the dataset name/);
  });

  it('sorts shards into splits by name', () => {
    expect(splitOf('data/train-00003-of-00004-abc.parquet')).toBe('train');
    expect(splitOf('data/validation-00000-of-00001-abc.parquet')).toBe('validation');
    expect(splitOf('default/train/0000.parquet')).toBe('train');
    expect(splitOf('data/test-00000-of-00001.parquet')).toBe(null);
    const entries = ['data/train-00001-of-00002.parquet', 'data/train-00000-of-00002.parquet', 'data/validation-00000-of-00001.parquet']
      .map((path) => ({ type: 'file' as const, path, size: 1 }));
    expect(pickShards(entries, 1).map((s) => s.path)).toEqual(['data/train-00000-of-00002.parquet', 'data/validation-00000-of-00001.parquet']);
  });
});
