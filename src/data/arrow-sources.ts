// The `arrow:`, `parquet:` and `hf:` story sources (registered in sources.ts's resolveSource). Parquet
// (local or downloaded from the Hub) is converted once to Arrow IPC in the cache; stories are then read
// from Arrow, batch by batch. Identities hash the input files, so prepared data is re-made when they change.
import { existsSync, readFileSync, realpathSync, statSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DataConfig } from '../config/schema.js';
import { DataError } from '../util/errors.js';
import { stableHash } from './hash.js';
import { listArrowFiles, newTextReadStats, readArrowFileTexts, type TextReadStats } from './arrow.js';
import { convertParquetToArrow, listParquetFiles } from './parquet.js';
import { downloadHfDataset, splitOf, type HubDownloadOptions } from './hf-download.js';
import { slugify, type StorySource } from './sources.js';
import { formatBytes } from './format-bytes.js';

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

/** Streams the text column of several Arrow files in order, then logs rows and skipped nulls. */
async function* readTexts(files: () => Promise<string[]> | string[], column: string, label: string, log: Log): AsyncGenerator<string> {
  const stats: TextReadStats = newTextReadStats();
  for (const file of await files()) yield* readArrowFileTexts(file, column, stats);
  if (stats.nulls > 0) log(`${label}: ${stats.rows} rows, ${stats.nulls} null '${column}' values skipped`);
}

/** Splits files into train and validation by name (`*train*`, `*valid*` / `*validation*` / `*val*` / `*dev*`). */
function splitFiles(files: string[]): { train: string[]; val: string[] } {
  const val = files.filter((f) => splitOf(basename(f)) === 'validation');
  const named = files.filter((f) => splitOf(basename(f)) === 'train');
  return { train: named.length ? named : files.filter((f) => !val.includes(f)), val };
}

function bytesOf(files: FileStamp[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/**
 * `arrow:PATH`: an Arrow IPC file or stream; a folder of them (files named *valid* form the validation
 * split); a `datasets` save_to_disk split folder (state.json); or a DatasetDict folder (dataset_dict.json)
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
    description: `arrow: ${path} (column '${column}', ${train.length} train${val.length ? ` + ${val.length} validation` : ''} file` +
      `${train.length + val.length > 1 ? 's' : ''}, ${formatBytes(bytesOf([...train, ...val]))})`,
    slug: slugify(`arrow-${basename(abs)}`),
    totalBytes: bytesOf([...train, ...val]),
    train: () => readTexts(() => trainFiles, column, `arrow ${path} train`, log),
    val: valFiles.length ? () => readTexts(() => valFiles, column, `arrow ${path} validation`, log) : null,
  };
}

/** Where the Arrow conversion of a parquet file lives in the cache (keyed by its path, size and mtime). */
export function arrowCachePath(cacheDir: string, parquet: FileStamp, column: string): string {
  const name = basename(parquet.path).replace(/\.parquet$/i, '');
  return join(cacheDir, 'arrow', `${slugify(name, 60)}-${stableHash({ ...parquet, column }, 12)}.arrow`);
}

/** Converts the parquet files that have no Arrow conversion in the cache yet; returns the Arrow paths. */
async function toArrow(parquetFiles: FileStamp[], cfg: DataConfig, log: Log): Promise<string[]> {
  const out: string[] = [];
  for (const file of parquetFiles) {
    const arrow = arrowCachePath(cfg.cacheDir, file, cfg.textColumn);
    if (!existsSync(arrow)) {
      const t0 = Date.now();
      log(`parquet -> arrow: ${file.path} (${formatBytes(file.size)})`);
      const rows = await convertParquetToArrow(file.path, arrow, cfg.textColumn);
      log(`parquet -> arrow: ${rows} rows -> ${arrow} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    out.push(arrow);
  }
  return out;
}

/** Source over parquet files: converted to Arrow (once) when first read, then streamed from Arrow. */
function parquetFilesSource(kind: string, label: string, slug: string, trainFiles: string[], valFiles: string[], cfg: DataConfig,
  log: Log, extra: Record<string, unknown> = {}): StorySource {
  const train = trainFiles.map(stamp), val = valFiles.map(stamp), column = cfg.textColumn;
  const total = bytesOf([...train, ...val]);
  return {
    identity: stableHash({ kind, column, ...extra, train: extra.train ?? train, val: extra.val ?? val }),
    description: `${label} (column '${column}', ${train.length} train${val.length ? ` + ${val.length} validation` : ''} parquet file` +
      `${train.length + val.length > 1 ? 's' : ''}, ${formatBytes(total)})`,
    slug,
    totalBytes: total,
    train: () => readTexts(() => toArrow(train, cfg, log), column, `${label} train`, log),
    val: val.length ? () => readTexts(() => toArrow(val, cfg, log), column, `${label} validation`, log) : null,
  };
}

/** `parquet:PATH`: a .parquet file, or a folder of them (files named *valid* form the validation split). */
export function parquetSource(path: string, cfg: DataConfig, log: Log = stderrLog): StorySource {
  if (!path) throw new DataError('data.source "parquet:" needs a path', 'e.g. --set data.source=parquet:data/train-00000-of-00004.parquet');
  const abs = resolve(path);
  const files = listParquetFiles(abs);
  const { train, val } = statSync(abs).isDirectory() ? splitFiles(files) : { train: files, val: [] };
  return parquetFilesSource('parquet', `parquet: ${path}`, slugify(`parquet-${basename(abs).replace(/\.parquet$/i, '')}`), train, val, cfg, log);
}

/**
 * `hf:OWNER/NAME`: downloads the dataset's train (at most data.maxTrainShards) and validation parquet
 * shards from the Hub into data.cacheDir, then reads them like `parquet:`.
 */
export async function hfSource(repo: string, cfg: DataConfig, log: Log = stderrLog, opts: HubDownloadOptions = {}): Promise<StorySource> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo))
    throw new DataError(`data.source "hf:${repo}": expected hf:OWNER/NAME`, 'e.g. --set data.source=hf:roneneldan/TinyStories');
  const downloaded = await downloadHfDataset(repo, cfg, { log, ...opts });
  const shardIds = (split: string) => downloaded.manifest.shards.filter((s) => s.split === split)
    .map((s) => ({ path: s.path, size: s.size, sha256: s.sha256 ?? null }));
  return parquetFilesSource('hf', `hf: ${repo}@${cfg.revision}`, slugify(`hf-${repo.split('/')[1]}`), downloaded.train,
    downloaded.validation, cfg, log, { repo, revision: cfg.revision, train: shardIds('train'), val: shardIds('validation') });
}
