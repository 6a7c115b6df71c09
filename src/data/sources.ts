// Story sources: what `data.source` names, as async iterables of story strings per split, with an identity
// (hash of the inputs) that decides when prepared data can be reused. Extension point: resolveSource's switch.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DataConfig } from '../config/schema.js';
import { DataError } from '../util/errors.js';
import { slugify, stableHash } from './hash.js';
import { SYNTHETIC_VERSION, generateSyntheticStories } from './synthetic.js';
import { arrowSource, hfSource, parquetSource } from './arrow-sources.js';
import type { StorySource } from './types.js';
import { readTextLines } from './text-lines.js';

export interface ResolveSourceOptions {
  /** Progress lines of slow set-up work (downloads, conversions). */
  log?: (line: string) => void;
}

/**
 * The source `cfg.source` names. Each scheme is one case returning a StorySource; a new scheme adds a case,
 * and its inputs go into the source's identity.
 */
export async function resolveSource(cfg: DataConfig, opts: ResolveSourceOptions = {}): Promise<StorySource> {
  const { scheme, rest } = parseSource(cfg.source);
  switch (scheme) {
    case 'synthetic':
      return syntheticSource(cfg.seed, cfg.syntheticStories);
    case 'text':
      return textSource(rest);
    case 'arrow':
      return arrowSource(rest, cfg, opts.log);
    case 'parquet':
      return parquetSource(rest, cfg, opts.log);
    case 'hf':
      return hfSource(rest, cfg, opts.log);
    default:
      throw new DataError(`data.source "${cfg.source}" has an unknown type "${scheme}"`,
        'allowed: synthetic | text:PATH | arrow:PATH | parquet:PATH | hf:OWNER/NAME');
  }
}

/**
 * The stories prepareData reads: data.source, with data.valSource (when set) as its validation split: that
 * source's own valid split if it has one, else all of its stories. Its identity joins both sources'.
 */
export async function resolveSources(cfg: DataConfig, opts: ResolveSourceOptions = {}): Promise<StorySource> {
  const source = await resolveSource(cfg, opts);
  if (cfg.valSource === null) return source;
  let val: StorySource;
  try {
    val = await resolveSource({ ...cfg, source: cfg.valSource }, opts);
  } catch (err) {
    // the scheme's messages name data.source; here the value came from data.valSource
    if (err instanceof DataError) throw new DataError(err.message.replace(/data\.source/g, 'data.valSource'), err.hint);
    throw err;
  }
  return {
    identity: stableHash({ train: source.identity, valSource: val.identity }),
    description: `${source.description}; validation: ${val.description}`,
    slug: source.slug,
    totalBytes: source.totalBytes,
    train: source.train,
    val: val.val ?? val.train,
  };
}

/** Splits `scheme:rest`; a bare `synthetic` has no rest. */
export function parseSource(source: string): { scheme: string; rest: string } {
  const colon = source.indexOf(':');
  if (colon < 0) return { scheme: source, rest: '' };
  return { scheme: source.slice(0, colon), rest: source.slice(colon + 1) };
}

export function syntheticSource(seed: number, count: number): StorySource {
  return {
    identity: stableHash({ kind: 'synthetic', version: SYNTHETIC_VERSION, seed, count }),
    description: `synthetic: ${count} generated stories (seed ${seed})`,
    slug: `synthetic-${count}`,
    train: () => toAsync(generateSyntheticStories(seed, count)),
    val: null,
  };
}

/** `text:PATH`: a .txt file of stories separated by `<|endoftext|>` lines, or a folder with *train*.txt and *valid*.txt files. */
export function textSource(path: string): StorySource {
  if (!path) throw new DataError('data.source "text:" needs a path', 'e.g. --set data.source=text:../shared/data/tinystories/TinyStoriesV2-GPT4-train.head10000.txt');
  const abs = resolve(path);
  if (!existsSync(abs))
    throw new DataError(`data.source text:${path}: no such file or folder (${abs})`, 'give a .txt file of stories separated by <|endoftext|> lines, or a folder of *train*.txt / *valid*.txt files');
  let trainFiles = [abs], valFiles: string[] = [];
  if (statSync(abs).isDirectory()) {
    const names = readdirSync(abs).filter((n) => n.toLowerCase().endsWith('.txt')).sort();
    trainFiles = names.filter((n) => /train/i.test(n)).map((n) => join(abs, n));
    valFiles = names.filter((n) => /valid/i.test(n) && !/train/i.test(n)).map((n) => join(abs, n));
    if (trainFiles.length === 0)
      throw new DataError(`data.source text:${path}: the folder has no *train*.txt file (found: ${names.join(', ') || 'no .txt files'})`,
        'name the training file(s) *train*.txt and the validation file(s) *valid*.txt, or point text: at one .txt file');
  }
  const describeFiles = (files: string[]) => files.map((f) => {
    const st = statSync(f);
    return { path: realpathSync(f), size: st.size, mtimeMs: st.mtimeMs };
  });
  const train = describeFiles(trainFiles), val = describeFiles(valFiles);
  const totalBytes = [...train, ...val].reduce((s, f) => s + f.size, 0);
  return {
    identity: stableHash({ kind: 'text', train, val }),
    description: `text: ${path} (${trainFiles.length} train${valFiles.length ? ` + ${valFiles.length} valid` : ''} file${trainFiles.length + valFiles.length > 1 ? 's' : ''}, ${(totalBytes / 1e6).toFixed(1)} MB)`,
    slug: slugify(basename(abs).replace(/\.txt$/i, '')),
    totalBytes,
    train: () => readStoryFiles(trainFiles),
    val: valFiles.length ? () => readStoryFiles(valFiles) : null,
  };
}

/** Streams the stories of .txt files: the text between lines that are exactly `<|endoftext|>`, trimmed; empty ones skipped. */
export async function* readStoryFiles(files: readonly string[]): AsyncGenerator<string> {
  for (const file of files) {
    const lines = readTextLines(file); // refuses invalid UTF-8 and binary files with the byte offset
    let story: string[] = [];
    for await (const line of lines) {
      if (line.trimEnd() === '<|endoftext|>') {
        const text = story.join('\n').trim();
        if (text) yield text;
        story = [];
      } else story.push(line);
    }
    const tail = story.join('\n').trim();
    if (tail) yield tail;
  }
}

/**
 * Deterministic story-level hold-out: story i goes to val when it is the chosen one of its window of
 * 1/fraction stories (one seeded random position per window), so val gets fraction of the stories, spread
 * evenly, chosen by `seed`; `which` picks the side. Both sides read the same stories in the same order.
 */
export async function* holdOut(stories: AsyncIterable<string>, fraction: number, seed: number, which: 'train' | 'val'): AsyncGenerator<string> {
  const picker = new HoldOutPicker(fraction, seed);
  for await (const story of stories) if (picker.isVal() === (which === 'val')) yield story;
}

/** Decides, story by story, whether a story is held out (see holdOut). */
export class HoldOutPicker {
  private index = 0;
  private window = 0;
  private next: number;
  constructor(private fraction: number, private seed: number) {
    this.next = fraction > 0 ? this.position(0) : Infinity;
  }
  private position(window: number): number {
    return Math.floor((window + unitHash(this.seed, window)) / this.fraction);
  }
  isVal(): boolean {
    const i = this.index++;
    if (i !== this.next) return false;
    this.window++;
    this.next = Math.max(this.position(this.window), i + 1);
    return true;
  }
}

/** A uniform number in [0, 1) from (seed, index) (murmur3 finaliser). */
function unitHash(seed: number, index: number): number {
  let h = Math.imul((seed ^ 0x5bd1e995) >>> 0, 0x9e3779b1) ^ index;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
