// prepareData: data.source -> tokenized train/val shards in data.cacheDir/<slug>-<hash>/ (train.bin, val.bin,
// meta.json), reused while the inputs are unchanged; like nanoGPT's prepare.py, but cached and atomic.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { removeStaleTemps } from '../util/atomic-write.js';
import type { DataConfig } from '../config/schema.js';
import type { PreparedData, Tokenizer, TokenizerInfo } from './types.js';
import { DataError } from '../util/errors.js';
import { stableHash } from './hash.js';
import { SHARD_VERSION, ShardWriter, forEachShardChunk, readShard } from './shards.js';
import { holdOut, resolveSources } from './sources.js';
import type { StorySource } from './types.js';
import { CompactMapper, TokenCounter, buildCompactInfo, gpt2Tokenizer, loadTokenizer } from './tokenizer.js';
import { type TokenizeFn, type TokenizeStats, teeSink } from './tokenize.js';
import { formatCount } from '../util/format.js';
import { tokenizeStoriesParallel } from './tokenize-pool.js';

/** Bump when the prepared-data layout or tokenization rules change (old folders are then re-made). */
export const PREPARE_VERSION = 1;

export interface PrepareOptions {
  log?: (line: string) => void;
  /** The tokenize loop (default: tokenizeStoriesParallel, worker threads on every core; tokenizeStories = one thread). */
  tokenize?: TokenizeFn;
}

export interface PreparedDataset extends PreparedData {
  /** The prepared-data folder. */
  dir: string;
  /** True when an earlier run's folder was reused (nothing was tokenized). */
  reused: boolean;
  meta: PreparedMeta;
}

export interface SplitMeta {
  file: string;
  tokens: number;
  stories: number;
  bytes: number;
  truncated: boolean;
}

/** meta.json of a prepared-data folder. */
export interface PreparedMeta {
  prepareVersion: number;
  shardVersion: number;
  /** Hash of `inputs`; the folder is reused only when it matches. */
  key: string;
  inputs: Record<string, unknown>;
  source: { identity: string; description: string };
  tokenizer: TokenizerInfo;
  train: SplitMeta;
  val: SplitMeta;
  createdAt: string;
}

/** Everything prepared data depends on. */
export function prepareInputs(cfg: DataConfig, source: StorySource): Record<string, unknown> {
  return {
    prepareVersion: PREPARE_VERSION, shardVersion: SHARD_VERSION, source: source.identity, tokenizer: cfg.tokenizer,
    compactVocabSize: cfg.tokenizer === 'compact' ? cfg.compactVocabSize : null,
    valFraction: source.val ? null : cfg.valFraction, seed: cfg.seed, syntheticStories: cfg.syntheticStories,
    maxTrainTokens: cfg.maxTrainTokens,
  };
}

/** The prepared-data folder for `cfg`, e.g. data/synthetic-20000-compact2048-1a2b3c4d. */
export function preparedDir(cfg: DataConfig, source: StorySource): string {
  const tok = cfg.tokenizer === 'compact' ? `compact${cfg.compactVocabSize}` : 'gpt2';
  return join(cfg.cacheDir, `${source.slug}-${tok}-${stableHash(prepareInputs(cfg, source), 8)}`);
}

/** Tokenizes cfg.source into token shards (or reuses them) and opens them. */
export async function prepareData(cfg: DataConfig, opts: PrepareOptions = {}): Promise<PreparedDataset> {
  const log = opts.log ?? (() => {});
  const source = await resolveSources(cfg, { log });
  const dir = preparedDir(cfg, source);
  const key = stableHash(prepareInputs(cfg, source));
  const existing = openPrepared(dir, key, log);
  if (existing) {
    log(`data: reusing ${dir} (${existing.description})`);
    return existing;
  }
  log(`data: preparing ${source.description} -> ${dir}`);
  removeStaleTemps(dirname(dir), `${basename(dir)}.tmp-`);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const meta = await writePrepared(tmp, cfg, source, key, opts.tokenize ?? tokenizeStoriesParallel, log);
    writeFileSync(join(tmp, 'meta.json'), metaJson(meta)); // last: a folder without it is never trusted
    publish(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const prepared = openPrepared(dir, key, log);
  if (!prepared) throw new DataError(`prepared data in ${dir} could not be read back`, `delete ${dir} and try again`);
  log(`data: ${prepared.description}`);
  return { ...prepared, reused: false };
}

async function writePrepared(tmp: string, cfg: DataConfig, source: StorySource, key: string, tokenize: TokenizeFn,
  log: (line: string) => void): Promise<PreparedMeta> {
  const trainStories = () => source.val ? source.train() : holdOut(source.train(), cfg.valFraction, cfg.seed, 'train');
  const valStories = () => source.val ? source.val() : holdOut(source.train(), cfg.valFraction, cfg.seed, 'val');
  const common = { log, logEverySec: 2 };
  let tokenizer: Tokenizer, train: SplitMeta;
  if (cfg.tokenizer === 'compact') {
    // Pass 1 tokenizes train with GPT-2 once, counting tokens and keeping the ids; pass 2 only remaps them.
    const gpt2 = gpt2Tokenizer(), counter = new TokenCounter();
    const gpt2Path = join(tmp, 'train.gpt2.bin');
    const gpt2Stats = await writeSplit(gpt2Path, gpt2, (sink) =>
      tokenize(trainStories(), gpt2, teeSink(sink, counter), { ...common, label: 'train (gpt2 + counts)', maxTokens: cfg.maxTrainTokens }));
    tokenizer = loadTokenizer(buildCompactInfo(counter.counts, cfg.compactVocabSize));
    train = remapToCompact(gpt2Path, join(tmp, 'train.bin'), tokenizer.info, gpt2Stats, cfg.maxTrainTokens);
    rmSync(gpt2Path);
  } else {
    tokenizer = gpt2Tokenizer();
    train = await writeSplit(join(tmp, 'train.bin'), tokenizer, (sink) =>
      tokenize(trainStories(), tokenizer, sink, { ...common, label: 'train', maxTokens: cfg.maxTrainTokens }));
  }
  if (train.tokens === 0) throw new DataError(`data.source ${cfg.source}: the train split is empty`, 'check the source file(s) hold stories');
  const val = await writeSplit(join(tmp, 'val.bin'), tokenizer, (sink) => tokenize(valStories(), tokenizer, sink, { ...common, label: 'val' }));
  if (val.tokens === 0)
    throw new DataError(`data.source ${cfg.source}: the validation split is empty (${train.stories} train stories, data.valFraction ${cfg.valFraction})`,
      'raise data.valFraction, use more stories, or give a folder with a *valid*.txt file');
  return {
    prepareVersion: PREPARE_VERSION, shardVersion: SHARD_VERSION, key, inputs: prepareInputs(cfg, source),
    source: { identity: source.identity, description: source.description }, tokenizer: tokenizer.info,
    train: { ...train, file: 'train.bin' }, val: { ...val, file: 'val.bin' }, createdAt: new Date().toISOString(),
  };
}

/** meta.json text: indented, but the (long) id mapping on one line. */
function metaJson(meta: PreparedMeta): string {
  return JSON.stringify(meta, null, 1).replace(/"gpt2Ids": \[[^\]]*\]/, (ids) => ids.replace(/\s+/g, ''));
}

/** Runs `fill` into a new shard at `path`; the shard is removed if fill throws. */
async function writeSplit(path: string, tokenizer: Tokenizer, fill: (sink: ShardWriter) => Promise<TokenizeStats>): Promise<SplitMeta> {
  const writer = new ShardWriter(path, tokenizer.info.vocabSize, tokenizer.info.identity);
  try {
    const stats = await fill(writer);
    writer.finish();
    return { file: path, tokens: writer.tokenCount, stories: stats.stories, bytes: stats.bytes, truncated: stats.truncated };
  } finally {
    writer.abort();
  }
}

/** Pass 2 of the compact tokenizer: GPT-2 ids -> compact ids (byte fallback), streamed shard to shard. */
function remapToCompact(gpt2Path: string, path: string, info: TokenizerInfo, gpt2: SplitMeta, maxTokens: number | null): SplitMeta {
  const mapper = new CompactMapper(info.gpt2Ids!), writer = new ShardWriter(path, info.vocabSize, info.identity);
  const max = maxTokens ?? Infinity;
  let truncated = gpt2.truncated;
  try {
    forEachShardChunk(gpt2Path, (ids) => {
      const out = mapper.map(ids);
      const room = max - writer.tokenCount;
      if (out.length > room) truncated = true;
      writer.append(out.length > room ? out.slice(0, room) : out);
    });
    writer.finish();
    return { ...gpt2, file: path, tokens: writer.tokenCount, truncated };
  } finally {
    writer.abort();
  }
}

/** Opens a prepared folder if it is complete, current (same key) and intact; otherwise null (it will be re-made). */
function openPrepared(dir: string, key: string, log: (line: string) => void): PreparedDataset | null {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as PreparedMeta;
    if (meta.key !== key || meta.prepareVersion !== PREPARE_VERSION) return null;
    const tokenizer = loadTokenizer(meta.tokenizer);
    const regenerate = `delete ${dir}; the next run prepares the data again`;
    const read = (file: string) => readShard(join(dir, file), { identity: tokenizer.info.identity, regenerate });
    const train = read(meta.train.file), val = read(meta.val.file);
    const description = `${meta.source.description}: ${formatCount(train.length)} train / ${formatCount(val.length)} val tokens` +
      ` (${tokenizer.info.kind} ${tokenizer.info.vocabSize})`;
    return { train, val, tokenizer: tokenizer.info, description, dir, reused: true, meta };
  } catch (err) {
    log(`data: ${dir} is damaged or unreadable (${err instanceof Error ? err.message : err}); preparing it again`);
    return null;
  }
}

/** Moves the finished temp folder into place (replacing an old or damaged one). */
function publish(tmp: string, dir: string): void {
  if (existsSync(dir)) {
    const old = `${tmp}.old`;
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, dir);
}

