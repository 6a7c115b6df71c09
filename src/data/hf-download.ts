// Downloads a Hugging Face dataset's parquet shards into the data cache: lists them with @huggingface/hub,
// resumes interrupted downloads (HTTP Range on a `.part` file), verifies size and LFS sha256, then renames.
// Follows huggingface_hub's file_download (resolve URL, ETag, `.incomplete` file + Range resume).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileDownloadInfo, listFiles, type ListFileEntry } from '@huggingface/hub';
import type { DataConfig } from '../config/schema.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { DataError } from '../util/errors.js';
import { createByteProgress, type ByteProgress } from './download-progress.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** One parquet file of the dataset, as listed by the Hub. */
export interface HubShard {
  path: string;
  split: 'train' | 'validation';
  size: number;
  /** LFS sha256 (hex), when the listing gives it. */
  sha256?: string;
}

export interface HubDownloadResult {
  /** Local parquet files, in shard order. */
  train: string[];
  validation: string[];
  /** What was used, for the source identity (repo, revision, files with sizes and hashes). */
  manifest: HubManifest;
}

export interface HubManifest {
  repo: string;
  revision: string;
  shards: HubShard[];
}

export interface HubDownloadOptions {
  /** Attempts per file when a connection drops mid-way (each resumes from the `.part` file). Default 3. */
  attempts?: number;
  log?: (line: string) => void;
  /** Progress display; default: a bar on a TTY stderr, periodic log lines otherwise. */
  progress?: (file: string, total: number, start: number) => ByteProgress;
  fetch?: typeof fetch;
}

export function hubEndpoint(cfg: Pick<DataConfig, 'hubUrl'>): string {
  return (cfg.hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/** The local folder of a dataset repo at a revision inside the cache. */
export function hubCacheDir(cacheDir: string, repo: string, revision: string): string {
  return join(cacheDir, 'hf', ...repo.split('/'), revision.replace(/[^\w.-]/g, '_'));
}

/** Which split a parquet path belongs to (`data/train-00000-of-00004-….parquet`, `default/validation/0000.parquet`). */
export function splitOf(path: string): HubShard['split'] | null {
  const lower = path.toLowerCase();
  const name = lower.split('/').pop()!;
  const parts = lower.split('/');
  const has = (word: string) => name.startsWith(`${word}-`) || name.startsWith(`${word}.`) || name.startsWith(`${word}_`) ||
    parts.slice(0, -1).includes(word);
  if (has('train')) return 'train';
  if (has('validation') || has('valid') || has('val') || has('dev')) return 'validation';
  return null;
}

/** Picks the train and validation parquet shards from a listing (train limited to `maxTrainShards`). */
export function pickShards(entries: ListFileEntry[], maxTrainShards: number | null): HubShard[] {
  const shards: HubShard[] = [];
  for (const e of entries) {
    if (e.type !== 'file' || !e.path.endsWith('.parquet')) continue;
    const split = splitOf(e.path);
    if (!split) continue;
    shards.push({ path: e.path, split, size: e.lfs?.size ?? e.size, sha256: e.lfs?.oid });
  }
  shards.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const train = shards.filter((s) => s.split === 'train');
  return [...train.slice(0, maxTrainShards ?? train.length), ...shards.filter((s) => s.split === 'validation')];
}

function offlineHint(): string {
  return 'check the network, or set HF_ENDPOINT (or --set data.hubUrl=URL) to a reachable mirror, or use local files: ' +
    '--set data.source=parquet:PATH or arrow:PATH';
}

/** Turns fetch / Hub API failures into a DataError naming the URL. */
function hubError(err: unknown, url: string, what: string): DataError {
  if (err instanceof DataError) return err;
  const e = err as { statusCode?: number; message?: string; cause?: { code?: string; message?: string } };
  if (typeof e?.statusCode === 'number') {
    const hint = e.statusCode === 401 || e.statusCode === 403
      ? 'the dataset may be gated or private: set HF_TOKEN to an access token (hf_...) that may read it'
      : e.statusCode === 404 ? 'check the dataset name (hf:OWNER/NAME) and data.revision' : offlineHint();
    return new DataError(`${what}: ${url} answered HTTP ${e.statusCode} (${e.message ?? ''})`, hint);
  }
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new DataError(`${what}: cannot reach ${url} (${cause})`, offlineHint());
}

/** A dataset's parquet shards as listed (or remembered from the last listing) and where they go locally. */
export interface HubListing {
  repo: string;
  revision: string;
  /** The dataset's folder in the cache (hubCacheDir). */
  root: string;
  /** The shards the config asks for: train (at most maxTrainShards), then validation. */
  shards: HubShard[];
  /** True when the Hub could not be reached and the last listing saved in the cache was used. */
  offline: boolean;
}

/**
 * Lists `repo`'s parquet shards with @huggingface/hub and saves the listing in the cache (manifest.json).
 * Without network, the saved listing is used, so a run whose shards are already downloaded works offline.
 */
export async function listHfDataset(repo: string, cfg: DataConfig, opts: HubDownloadOptions = {}): Promise<HubListing> {
  const hubUrl = hubEndpoint(cfg);
  const root = hubCacheDir(cfg.cacheDir, repo, cfg.revision);
  const manifestPath = join(root, 'manifest.json');
  const listUrl = `${hubUrl}/api/datasets/${repo}/tree/${cfg.revision}`;
  let all: HubShard[], offline = false;
  try {
    const entries: ListFileEntry[] = [];
    for await (const entry of listFiles({ repo: { type: 'dataset', name: repo }, revision: cfg.revision, hubUrl,
      accessToken: process.env.HF_TOKEN || undefined, recursive: true, fetch: opts.fetch })) entries.push(entry);
    all = pickShards(entries, null);
    writeFileAtomic(manifestPath, `${JSON.stringify({ repo, revision: cfg.revision, shards: all } satisfies HubManifest, null, 2)}\n`);
  } catch (err) {
    const saved = readManifest(manifestPath);
    if (!saved) throw hubError(err, listUrl, `listing the files of dataset ${repo}`);
    (opts.log ?? console.error)(`hf: cannot list ${repo} (${hubError(err, listUrl, 'listing').message}); using the listing saved in ${manifestPath}`);
    all = saved.shards;
    offline = true;
  }
  if (!all.some((s) => s.split === 'train'))
    throw new DataError(`dataset ${repo}@${cfg.revision} has no train parquet files (*train*.parquet) at ${listUrl}`,
      'an hf: source needs parquet shards named like data/train-00000-of-00004-*.parquet; convert the dataset or use arrow:/parquet:');
  const train = all.filter((s) => s.split === 'train');
  const shards = [...train.slice(0, cfg.maxTrainShards ?? train.length), ...all.filter((s) => s.split === 'validation')];
  return { repo, revision: cfg.revision, root, shards, offline };
}

/** The local path of `shard`, downloading it first unless a complete copy is in the cache. */
export async function ensureHfShard(listing: HubListing, shard: HubShard, cfg: DataConfig, opts: HubDownloadOptions = {}): Promise<string> {
  const dest = join(listing.root, shard.path);
  if (!isComplete(dest, shard)) await downloadShard(listing.repo, cfg, hubEndpoint(cfg), process.env.HF_TOKEN || undefined, shard, dest, opts);
  return dest;
}

/** Lists `repo` and downloads every shard the config asks for (an hf: source downloads lazily instead). */
export async function downloadHfDataset(repo: string, cfg: DataConfig, opts: HubDownloadOptions = {}): Promise<HubDownloadResult> {
  const listing = await listHfDataset(repo, cfg, opts);
  const local = async (split: HubShard['split']) => {
    const out: string[] = [];
    for (const shard of listing.shards.filter((s) => s.split === split)) out.push(await ensureHfShard(listing, shard, cfg, opts));
    return out;
  };
  const train = await local('train'), validation = await local('validation');
  return { train, validation, manifest: { repo, revision: cfg.revision, shards: listing.shards } };
}

function isComplete(path: string, shard: HubShard): boolean {
  return existsSync(path) && statSync(path).size === shard.size;
}

function readManifest(path: string): HubManifest | null {
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as HubManifest;
    return Array.isArray(manifest.shards) ? manifest : null;
  } catch {
    return null;
  }
}

interface PartMeta {
  etag: string;
  size: number;
}

/** Downloads one file into `dest` through `dest.part`, resuming what an earlier attempt or run left. */
async function downloadShard(repo: string, cfg: DataConfig, hubUrl: string, accessToken: string | undefined,
  shard: HubShard, dest: string, opts: HubDownloadOptions): Promise<void> {
  const resolveUrl = `${hubUrl}/datasets/${repo}/resolve/${encodeURIComponent(cfg.revision)}/${shard.path}`;
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`, metaPath = `${dest}.part.json`;
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    // Probe each attempt: the download URL the Hub redirects to is signed and expires.
    const info = await probe(repo, cfg, hubUrl, accessToken, shard, resolveUrl, opts);
    const old = readPartMeta(metaPath);
    if (!old || old.etag !== info.etag || old.size !== info.size) {
      rmSync(part, { force: true }); // a .part of another version of the file is useless
      writeFileAtomic(metaPath, JSON.stringify({ etag: info.etag, size: info.size } satisfies PartMeta));
    }
    try {
      await fetchRest(info.url, part, info.size, accessToken, shard.path, opts);
      break;
    } catch (err) {
      const have = existsSync(part) ? statSync(part).size : 0;
      if (attempt >= attempts) {
        const e = hubError(err, info.url, `downloading ${shard.path}`);
        const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as Error)?.message ?? String(err);
        const message = typeof (err as { statusCode?: unknown })?.statusCode === 'number' ? e.message
          : `downloading ${shard.path} from ${info.url} failed after ${attempts} attempt${attempts > 1 ? 's' : ''} (${cause})`;
        throw new DataError(`${message}; ${have} of ${info.size} bytes are kept in ${part}`,
          `run the same command again to resume the download; ${e.hint ?? ''}`);
      }
      (opts.log ?? console.error)(`hf: ${shard.path}: connection lost at ${have}/${info.size} bytes (${(err as Error).message}); resuming`);
    }
  }
  await verify(part, shard, resolveUrl);
  renameSync(part, dest);
  rmSync(metaPath, { force: true });
}

/** The Range: bytes=0-0 probe of @huggingface/hub: size, ETag and the URL to download from. */
async function probe(repo: string, cfg: DataConfig, hubUrl: string, accessToken: string | undefined, shard: HubShard,
  resolveUrl: string, opts: HubDownloadOptions): Promise<{ size: number; etag: string; url: string }> {
  let info: Awaited<ReturnType<typeof fileDownloadInfo>>;
  try {
    info = await fileDownloadInfo({ repo: { type: 'dataset', name: repo }, path: shard.path, revision: cfg.revision, hubUrl,
      accessToken, fetch: opts.fetch });
  } catch (err) {
    throw hubError(err, resolveUrl, `downloading ${shard.path}`);
  }
  if (!info) throw new DataError(`${resolveUrl}: file not found (EntryNotFound), although the listing showed it`,
    'the dataset changed since it was listed; run again');
  if (info.size !== shard.size)
    throw new DataError(`${resolveUrl}: size ${info.size} differs from the listing's ${shard.size}`, 'the dataset changed since it was listed; run again');
  return info;
}

function readPartMeta(path: string): PartMeta | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PartMeta;
  } catch {
    return null;
  }
}

/** GETs the bytes `part` lacks (Range: bytes=N-) and appends them; a server ignoring Range restarts the file. */
async function fetchRest(url: string, part: string, size: number, accessToken: string | undefined, name: string,
  opts: HubDownloadOptions): Promise<void> {
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > size) {
    rmSync(part);
    have = 0;
  }
  if (have === size) return;
  // No If-Range: the CDN's ETag differs from the Hub's; `.part.json` keeps the Hub ETag and restarts on change.
  const headers: Record<string, string> = { Range: `bytes=${have}-` };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const res = await (opts.fetch ?? fetch)(url, { headers });
  if (res.status !== 206 && res.status !== 200) {
    await res.body?.cancel();
    throw Object.assign(new Error(res.statusText), { statusCode: res.status });
  }
  const start = res.status === 206 ? Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN) : 0;
  if (res.status === 206 && start !== have) {
    await res.body?.cancel();
    throw new Error(`server resumed at byte ${start}, expected ${have}`);
  }
  const out = createWriteStream(part, { flags: start === 0 ? 'w' : 'a' });
  const progress = opts.progress ? opts.progress(name, size, start) : createByteProgress(name, size, start, { log: opts.log });
  let done = start;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await once(out, 'drain');
      done += chunk.length;
      progress.update(done);
    }
  } finally {
    progress.stop();
    out.end();
    await once(out, 'close');
  }
  if (done !== size) throw new Error(`connection closed after ${done} of ${size} bytes`);
}

async function verify(part: string, shard: HubShard, url: string): Promise<void> {
  const size = shard.size;
  const got = statSync(part).size;
  const bad = (what: string) => {
    rmSync(part, { force: true });
    return new DataError(`${url}: downloaded file ${what}; the partial file was deleted`, 'run the same command again to download it afresh');
  };
  if (got !== size) throw bad(`has ${got} bytes, expected ${size}`);
  if (!shard.sha256) return;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(part, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  if (digest !== shard.sha256) throw bad(`has sha256 ${digest}, the listing says ${shard.sha256}`);
}
