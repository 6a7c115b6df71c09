// Tokenization on every core: stories are cut into chunks, GPT-2-encoded by worker_threads
// (tokenize-worker.mjs), mapped to compact ids here when needed, and handed back strictly in input order,
// so the token stream equals tokenize.ts's single-threaded one. Bounded memory: two chunks per worker in flight.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { flag } from '../flags.js';
import { CompactMapper, loadTokenizer } from './tokenizer.js';
import { encodeStoryChunk, type EncodedChunk } from './tokenize-chunk.js';
import { Progress, type TokenizeFn, type TokenizeOptions, type TokenSink } from './tokenize.js';
import type { Tokenizer, TokenizerInfo } from './types.js';

export interface EncodeStoriesOptions {
  /** Worker threads; 0 or 1 = encode in this thread. Default: every core (or $NANOMETA_TOKENIZE_WORKERS). */
  workers?: number;
  /** Characters of text per chunk (default 256k). */
  chunkChars?: number;
  /**
   * Characters encoded in this thread before the workers start (default 4M): small data never pays the
   * worker start-up (about half a second each); the output is the same either way.
   */
  inlineChars?: number;
}

/** A chunk of encoded stories, with the UTF-8 bytes of each story. */
export interface StoryChunk extends EncodedChunk {
  storyBytes: number[];
}

/** Default worker count: the `tokenizeWorkers` flag (NANOMETA_TOKENIZE_WORKERS; 0 or 1 = single-threaded), else every core. */
export function defaultTokenizeWorkers(): number {
  return flag('tokenizeWorkers');
}

/**
 * Encodes stories (one end-of-text after each) with `info`'s tokenizer, yielding chunks in input order.
 * Stopping the iteration early (break) shuts the workers down.
 */
export async function* encodeStories(stories: AsyncIterable<string> | Iterable<string>, info: TokenizerInfo,
  opts: EncodeStoriesOptions = {}): AsyncGenerator<StoryChunk> {
  const workers = workerScriptAvailable() ? opts.workers ?? defaultTokenizeWorkers() : 1;
  const inlineChars = opts.inlineChars ?? 4 * 1024 * 1024;
  let inlineLeft = workers <= 1 ? Infinity : inlineChars;
  let pool: TokenizePool | null = null;
  const inFlight: { chunk: Promise<EncodedChunk>; storyBytes: number[] }[] = [];
  const tokenizer = loadTokenizer(info); // also checks the info (identity, compact mapping) before any work
  const mapper = info.kind === 'compact' ? new CompactMapper(info.gpt2Ids!) : null;
  try {
    for await (const { stories: chunk, chars, storyBytes } of chunkStories(stories, opts.chunkChars ?? 256 * 1024)) {
      if (inlineLeft > 0) {
        inlineLeft -= chars;
        // Start the workers halfway through the inline part, so their start-up overlaps useful work.
        if (!pool && workers > 1 && inlineLeft < inlineChars / 2) pool = sharedPool(workers);
        yield { ...encodeStoryChunk(tokenizer, chunk), storyBytes };
        continue;
      }
      pool ??= sharedPool(workers);
      inFlight.push({ chunk: pool.encode(chunk), storyBytes });
      while (inFlight.length >= 2 * workers) {
        const next = inFlight.shift()!;
        yield { ...toTokenizerIds(await next.chunk, mapper), storyBytes: next.storyBytes };
      }
    }
    for (const next of inFlight.splice(0)) yield { ...toTokenizerIds(await next.chunk, mapper), storyBytes: next.storyBytes };
  } finally {
    // Stopped early (break or error): chunks still in flight finish in the shared workers and are dropped.
    inFlight.length = 0;
  }
}

const WORKER_URL = new URL('./tokenize-worker.mjs', import.meta.url);

/**
 * False when the worker script is not beside this module, as in a single-file bundle (esbuild; the GPU
 * machine's .device/*.mjs): tokenization then runs in this thread, with the same output.
 */
function workerScriptAvailable(): boolean {
  return WORKER_URL.protocol !== 'file:' || existsSync(fileURLToPath(WORKER_URL));
}

let shared: TokenizePool | null = null;

/**
 * One pool per process, reused by every tokenize pass (train, val, the compact tokenizer's passes), so
 * workers start (and warm up) once. Idle workers are unref'd: they never keep the process alive.
 */
function sharedPool(workers: number): TokenizePool {
  if (!shared || shared.size !== workers || shared.failed) {
    void shared?.close();
    shared = new TokenizePool(workers);
  }
  return shared;
}

/** Stops the shared worker pool (tests, or a long-lived process that is done tokenizing). */
export async function closeTokenizePool(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}

/** Workers give GPT-2 ids; for the compact tokenizer each story's ids are mapped here (cheap next to BPE). */
function toTokenizerIds(chunk: EncodedChunk, mapper: CompactMapper | null): EncodedChunk {
  if (!mapper) return chunk;
  const out: number[] = [];
  const storyTokens = new Uint32Array(chunk.storyTokens.length);
  let offset = 0;
  chunk.storyTokens.forEach((count, i) => {
    const before = out.length;
    mapper.map(chunk.tokens.subarray(offset, offset + count), out);
    storyTokens[i] = out.length - before;
    offset += count;
  });
  return { tokens: Uint32Array.from(out), storyTokens };
}

async function* chunkStories(stories: AsyncIterable<string> | Iterable<string>, chunkChars: number):
  AsyncGenerator<{ stories: string[]; chars: number; storyBytes: number[] }> {
  let chunk: string[] = [], storyBytes: number[] = [];
  let chars = 0;
  for await (const story of stories) {
    chunk.push(story);
    storyBytes.push(Buffer.byteLength(story));
    chars += story.length;
    if (chars >= chunkChars) {
      yield { stories: chunk, chars, storyBytes };
      chunk = [];
      storyBytes = [];
      chars = 0;
    }
  }
  if (chunk.length) yield { stories: chunk, chars, storyBytes };
}

/**
 * A TokenizeFn (prepareData's tokenize step) that encodes on worker threads: the same tokens, story
 * counts, byte counts and maxTokens cut as the single-threaded tokenizeStories.
 */
export function parallelTokenize(poolOpts: EncodeStoriesOptions = {}): TokenizeFn {
  return async (stories: AsyncIterable<string>, tokenizer: Tokenizer, sink: TokenSink, opts: TokenizeOptions = {}) => {
    const max = opts.maxTokens ?? Infinity;
    const progress = new Progress(opts);
    const stats = progress.stats;
    outer: for await (const chunk of encodeStories(stories, tokenizer.info, poolOpts)) {
      let end = 0, bytes = 0, count = 0;
      for (let i = 0; i < chunk.storyTokens.length; i++) {
        if (stats.tokens + end >= max) {
          // Like tokenizeStories: the limit was reached and stories remain.
          stats.truncated = true;
          break;
        }
        const room = max - stats.tokens - end;
        if (chunk.storyTokens[i] > room) stats.truncated = true;
        end += Math.min(chunk.storyTokens[i], room);
        bytes += chunk.storyBytes[i];
        count++;
      }
      if (end > 0) sink.append(end === chunk.tokens.length ? chunk.tokens : chunk.tokens.subarray(0, end));
      progress.add(bytes, end, count);
      if (stats.truncated) break outer;
    }
    return progress.done();
  };
}

/** The default tokenize step of prepareData: every core (see defaultTokenizeWorkers). */
export const tokenizeStoriesParallel: TokenizeFn = parallelTokenize();

class TokenizePool {
  private workers: Worker[];
  private waiting = new Map<number, { resolve: (c: EncodedChunk) => void; reject: (e: Error) => void }>();
  private nextSeq = 0;
  private failure: Error | null = null;

  get size(): number {
    return this.workers.length;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  constructor(count: number) {
    // Plain JS worker: no TypeScript loader needed under tsx, vitest or node (and no parent flags wanted).
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(WORKER_URL, { execArgv: [] });
      worker.on('message', (msg: { seq: number; chunk?: EncodedChunk; error?: string }) => {
        const job = this.waiting.get(msg.seq);
        this.waiting.delete(msg.seq);
        if (this.waiting.size === 0) this.workers.forEach((w) => w.unref());
        if (msg.chunk) job?.resolve(msg.chunk);
        else job?.reject(new Error(`tokenizer worker failed: ${msg.error}`));
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`tokenizer worker exited with code ${code}`));
      });
      worker.unref();
      return worker;
    });
  }

  encode(stories: string[]): Promise<EncodedChunk> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.nextSeq++;
    const promise = new Promise<EncodedChunk>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    promise.catch(() => {}); // awaited in order by encodeStories; this only keeps early failures from being "unhandled"
    if (this.waiting.size === 1) this.workers.forEach((w) => w.ref()); // busy: keep the process alive until done
    this.workers[seq % this.workers.length].postMessage({ seq, stories });
    return promise;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const job of this.waiting.values()) job.reject(err);
    this.waiting.clear();
    this.workers.forEach((w) => w.unref());
  }

  async close(): Promise<void> {
    this.failure ??= new Error('tokenizer pool closed');
    await Promise.all(this.workers.map((w) => {
      w.removeAllListeners('exit');
      return w.terminate();
    }));
  }
}
