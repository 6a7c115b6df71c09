// The tokenize loop: stories in, token ids out (one end-of-text after each story), in story order, into a
// sink (a ShardWriter, a TokenCounter, or both). Single-threaded; a worker pool can replace it (same shape).
import type { Tokenizer } from './types.js';
import { formatCount } from '../util/format.js';

/** Where tokens go, in order. */
export interface TokenSink {
  append(tokens: ArrayLike<number>): void;
}

export interface TokenizeOptions {
  /** Stop after this many tokens (the last story is cut); null/undefined = no limit. */
  maxTokens?: number | null;
  /** Progress lines (stories, tokens, MB/s), at most one every `logEverySec` seconds, plus a final one. */
  log?: (line: string) => void;
  /** Prefix of the progress lines, e.g. `train`. */
  label?: string;
  logEverySec?: number;
}

export interface TokenizeStats {
  stories: number;
  tokens: number;
  /** UTF-8 bytes of story text read. */
  bytes: number;
  seconds: number;
  /** True when maxTokens cut the split short. */
  truncated: boolean;
}

/** Same shape as tokenizeStories; prepareData takes one of these, so a worker_threads pool can be swapped in. */
export type TokenizeFn = (stories: AsyncIterable<string>, tokenizer: Tokenizer, sink: TokenSink, opts?: TokenizeOptions) => Promise<TokenizeStats>;

/** Tokenizes `stories` into `sink`: tokenizer.encode(story) then end-of-text, per story, in order. */
export async function tokenizeStories(stories: AsyncIterable<string>, tokenizer: Tokenizer, sink: TokenSink,
  opts: TokenizeOptions = {}): Promise<TokenizeStats> {
  const eot = tokenizer.info.eotId, max = opts.maxTokens ?? Infinity;
  const progress = new Progress(opts);
  for await (const story of stories) {
    if (progress.stats.tokens >= max) {
      progress.stats.truncated = true;
      break;
    }
    const ids = tokenizer.encode(story);
    ids.push(eot);
    const room = max - progress.stats.tokens;
    sink.append(ids.length > room ? ids.slice(0, room) : ids);
    progress.add(Buffer.byteLength(story), Math.min(ids.length, room));
    if (ids.length > room) progress.stats.truncated = true;
  }
  return progress.done();
}

/** Sends the same tokens to several sinks (e.g. a shard writer and a counter). */
export function teeSink(...sinks: TokenSink[]): TokenSink {
  return { append: (tokens) => sinks.forEach((s) => s.append(tokens)) };
}

/** Counts stories, tokens and bytes, and writes a progress line now and then. */
export class Progress {
  readonly stats: TokenizeStats = { stories: 0, tokens: 0, bytes: 0, seconds: 0, truncated: false };
  private start = performance.now();
  private lastLog = this.start;
  constructor(private opts: TokenizeOptions) {}

  add(bytes: number, tokens: number, stories = 1): void {
    this.stats.stories += stories;
    this.stats.bytes += bytes;
    this.stats.tokens += tokens;
    const now = performance.now();
    if (this.opts.log && now - this.lastLog > (this.opts.logEverySec ?? 2) * 1000) {
      this.lastLog = now;
      this.opts.log(this.line(now));
    }
  }

  done(): TokenizeStats {
    const now = performance.now();
    this.stats.seconds = (now - this.start) / 1000;
    this.opts.log?.(`${this.line(now)}${this.stats.truncated ? ' (stopped at the token limit)' : ''} - done`);
    return this.stats;
  }

  private line(now: number): string {
    const s = this.stats, sec = Math.max((now - this.start) / 1000, 1e-9);
    return `${this.opts.label ?? 'tokenize'}: ${s.stories.toLocaleString('en-US')} stories, ${formatCount(s.tokens)} tokens, ` +
      `${(s.bytes / 1e6).toFixed(1)} MB at ${(s.bytes / 1e6 / sec).toFixed(1)} MB/s`;
  }
}

