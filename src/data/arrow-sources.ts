// The `arrow:`, `parquet:` and `hf:` story sources (registered in sources.ts's resolveSource). Parquet
// (local or downloaded from the Hub) is converted once to Arrow IPC in the cache; stories are then read
// from Arrow, batch by batch. Identities hash the input files, so prepared data is re-made when they change.
import { existsSync, readFileSync, realpathSync, rmSync, statSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DataConfig } from '../config/schema.js';
import { DataError } from '../util/errors.js';
import { slugify, stableHash } from './hash.js';
import { detectArrowFormat, listArrowFiles, newTextReadStats, readArrowFileTexts, type TextReadStats } from './arrow.js';
import { convertParquetToArrow, listParquetFiles } from './parquet.js';
import { ensureHfShard, listHfDataset, splitOf, type HubDownloadOptions, type HubShard } from './hf-download.js';
import type { StorySource } from './types.js';
import { formatBytes } from '../util/format.js';

type Log = (line: string) => void;
const stderrLog: Log = (line) => console.error(line);

interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

function stamp(path: string): FileStamp {
  const st = statSync(path);
  return { path: realpathSync(path), size: st.size, mtimeMs: st.mtimeMs };
}

/** Streams the text column of Arrow files (given lazily, one at a time) in order, then logs rows and skipped nulls. */
async function* readTexts(files: AsyncIterable<string> | Iterable<string>, column: string, label: string, log: Log): AsyncGenerator<string> {
  const stats: TextReadStats = newTextReadStats();
  for await (const file of files) yield* readArrowFileTexts(file, column, stats);
  if (stats.nulls > 0) log(`${label}: ${stats.rows} rows, ${stats.nulls} null '${column}' values skipped`);
}

/** Splits files into train and validation by name (`train-…`, `validation-…` / `valid-…` / `val-…` / `dev-…`; unnamed = train). */
function splitFiles(files: string[]): { train: string[]; val: string[] } {
  const val = files.filter((f) => splitOf(basename(f)) === 'validation');
  const named = files.filter((f) => splitOf(basename(f)) === 'train');
  return { train: named.length ? named : files.filter((f) => !val.includes(f)), val };
}

function bytesOf(files: { size: number }[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/**
 * `arrow:PATH`: an Arrow IPC file or stream; a folder of them (files named validation-… / valid-… form the
 * validation split); a `datasets` save_to_disk split folder (state.json); or a DatasetDict folder (dataset_dict.json)
 * whose `train` and `validation` (or `valid`, `test`) splits are used.
 */
export function arrowSource(path: string, cfg: DataConfig, log: Log = stderrLog): StorySource {
  if (!path) throw new DataError('data.source "arrow:" needs a path', 'e.g. --set data.source=arrow:data/my-dataset/train');
  const abs = resolve(path);
  let trainFiles: string[], valFiles: string[] = [];
  const dict = join(abs, 'dataset_dict.json');
  if (existsSync(dict)) {
    const splits = (JSON.parse(readFileSync(dict, 'utf8')) as { splits?: string[] }).splits ?? readdirSync(abs);
    if (!splits.includes('train'))
      throw new DataError(`${dict}: the dataset has no 'train' split (splits: ${splits.join(', ')})`, `point arrow: at one split folder, e.g. arrow:${join(path, splits[0] ?? '')}`);
    trainFiles = listArrowFiles(join(abs, 'train'));
    const valSplit = ['validation', 'valid', 'val', 'test'].find((s) => splits.includes(s));
    if (valSplit) valFiles = listArrowFiles(join(abs, valSplit));
  } else if (existsSync(abs) && statSync(abs).isDirectory() && !existsSync(join(abs, 'state.json'))) {
    ({ train: trainFiles, val: valFiles } = splitFiles(listArrowFiles(abs)));
  } else trainFiles = listArrowFiles(abs);
  const train = trainFiles.map(stamp), val = valFiles.map(stamp);
  const column = cfg.textColumn;
  return {
    identity: stableHash({ kind: 'arrow', column, train, val }),
    description: `arrow: ${path} (column '${column}', ${describeSplits(train.length, val.length, 'file')}, ${formatBytes(bytesOf([...train, ...val]))})`,
    slug: slugify(`arrow-${basename(abs)}`),
    totalBytes: bytesOf([...train, ...val]),
    train: () => readTexts(trainFiles, column, `arrow ${path} train`, log),
    val: valFiles.length ? () => readTexts(valFiles, column, `arrow ${path} validation`, log) : null,
  };
}

/** Where the Arrow conversion of a parquet file lives in the cache (keyed by its path, size and mtime). */
export function arrowCachePath(cacheDir: string, parquet: FileStamp, column: string): string {
  const name = basename(parquet.path).replace(/\.parquet$/i, '');
  return join(cacheDir, 'arrow', `${slugify(name, 60)}-${stableHash({ ...parquet, column }, 12)}.arrow`);
}

/**
 * The Arrow conversion of a parquet file, made now unless the cache has a complete one. A cached file
 * that is damaged (no Arrow end marker: a foreign write, a copy cut short) is made again.
 */
async function toArrow(file: FileStamp, cfg: DataConfig, log: Log): Promise<string> {
  const arrow = arrowCachePath(cfg.cacheDir, file, cfg.textColumn);
  if (existsSync(arrow)) {
    try {
      detectArrowFormat(arrow);
      return arrow;
    } catch (err) {
      log(`${(err as Error).message}; converting again`);
      rmSync(arrow, { force: true });
    }
  }
  const t0 = Date.now();
  log(`parquet -> arrow: ${file.path} (${formatBytes(file.size)})`);
  const rows = await convertParquetToArrow(file.path, arrow, cfg.textColumn);
  log(`parquet -> arrow: ${rows} rows -> ${arrow} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return arrow;
}

async function* arrowOf(files: FileStamp[], cfg: DataConfig, log: Log): AsyncGenerator<string> {
  for (const file of files) yield await toArrow(file, cfg, log);
}

function describeSplits(train: number, val: number, what: string): string {
  return `${train} train${val ? ` + ${val} validation` : ''} ${what}${train + val > 1 ? 's' : ''}`;
}

/** `parquet:PATH`: a .parquet file, or a folder of them (files named validation-… / valid-… form the validation split). */
export function parquetSource(path: string, cfg: DataConfig, log: Log = stderrLog): StorySource {
  if (!path) throw new DataError('data.source "parquet:" needs a path', 'e.g. --set data.source=parquet:data/train-00000-of-00004.parquet');
  const abs = resolve(path);
  const files = listParquetFiles(abs);
  const split = statSync(abs).isDirectory() ? splitFiles(files) : { train: files, val: [] };
  const train = split.train.map(stamp), val = split.val.map(stamp), column = cfg.textColumn;
  return {
    identity: stableHash({ kind: 'parquet', column, train, val }),
    description: `parquet: ${path} (column '${column}', ${describeSplits(train.length, val.length, 'file')}, ${formatBytes(bytesOf([...train, ...val]))})`,
    slug: slugify(`parquet-${basename(abs).replace(/\.parquet$/i, '')}`),
    train: () => readTexts(arrowOf(train, cfg, log), column, `parquet: ${path} train`, log),
    val: val.length ? () => readTexts(arrowOf(val, cfg, log), column, `parquet: ${path} validation`, log) : null,
  };
}

/**
 * `hf:OWNER/NAME`: the dataset's train (at most data.maxTrainShards) and validation parquet shards on the
 * Hub, each downloaded into data.cacheDir when the reader first reaches it (so data.maxTrainTokens also
 * limits the download), converted to Arrow once, and read from Arrow.
 */
export async function hfSource(repo: string, cfg: DataConfig, log: Log = stderrLog, opts: HubDownloadOptions = {}): Promise<StorySource> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo))
    throw new DataError(`data.source "hf:${repo}": expected hf:OWNER/NAME`, 'e.g. --set data.source=hf:roneneldan/TinyStories');
  const download = { log, ...opts };
  const listing = await listHfDataset(repo, cfg, download);
  const train = listing.shards.filter((s) => s.split === 'train'), val = listing.shards.filter((s) => s.split === 'validation');
  async function* shardsAsArrow(shards: HubShard[]): AsyncGenerator<string> {
    for (const shard of shards) yield await toArrow(stamp(await ensureHfShard(listing, shard, cfg, download)), cfg, log);
  }
  const ids = (shards: HubShard[]) => shards.map((s) => ({ path: s.path, size: s.size, sha256: s.sha256 ?? null }));
  const label = `hf: ${repo}@${cfg.revision}`, column = cfg.textColumn;
  return {
    identity: stableHash({ kind: 'hf', repo, revision: cfg.revision, column, train: ids(train), val: ids(val) }),
    description: `${label} (column '${column}', ${describeSplits(train.length, val.length, 'parquet shard')}, ` +
      `${formatBytes(bytesOf(listing.shards))}${listing.offline ? ', offline' : ''})`,
    slug: slugify(`hf-${repo.split('/')[1]}`),
    train: () => readTexts(shardsAsArrow(train), column, `${label} train`, log),
    val: val.length ? () => readTexts(shardsAsArrow(val), column, `${label} validation`, log) : null,
  };
}
