// Tokenization throughput (MB/s of UTF-8 story text) on ../shared/data/tinystories: gpt-tokenizer called
// directly in one thread vs our pipeline in one thread (tokenizeStories) vs worker threads (parallelTokenize).
// Each variant's token stream is checked against the direct one before it is timed. `npx tsx bench/tokenize.ts`
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { gpt2Tokenizer } from '../src/data/tokenizer.js';
import { tokenizeStories, type TokenizeFn, type TokenSink } from '../src/data/tokenize.js';
import { parallelTokenize } from '../src/data/tokenize-pool.js';

const program = new Command('bench/tokenize.ts')
  .option('--dir <path>', 'folder of TinyStories .txt files', '../shared/data/tinystories')
  .option('--repeat <n>', 'pass over the text this many times per measurement', '2')
  .option('--workers <list>', 'worker counts to measure', String(availableParallelism()))
  .parse();
const o = program.opts<{ dir: string; repeat: string; workers: string }>();

const files = readdirSync(o.dir).filter((n) => n.endsWith('.txt')).sort();
const once = files.flatMap((f) => readFileSync(join(o.dir, f), 'utf8').split(/\n<\|endoftext\|>\n?/).map((s) => s.trim()).filter(Boolean));
const stories = Array.from({ length: Number(o.repeat) }, () => once).flat();
const megabytes = stories.reduce((n, s) => n + Buffer.byteLength(s), 0) / 1e6;

/** Sums and checksums the stream, so variants can be compared without keeping every id. */
function checksumSink(): TokenSink & { count: number; hash: number } {
  const sink = {
    count: 0, hash: 0,
    append(tokens: ArrayLike<number>) {
      for (let i = 0; i < tokens.length; i++) sink.hash = (Math.imul(sink.hash, 31) + tokens[i]) | 0;
      sink.count += tokens.length;
    },
  };
  return sink;
}

async function* iterate(items: string[]) {
  yield* items;
}

function direct(items: string[]) {
  const sink = checksumSink(), options = { disallowedSpecial: new Set<string>() };
  for (const s of items) {
    sink.append(encode(s, options));
    sink.append([50256]);
  }
  return sink;
}

async function pipeline(tokenize: TokenizeFn, items: string[]) {
  const sink = checksumSink();
  await tokenize(iterate(items), gpt2Tokenizer(), sink);
  return sink;
}

async function time<T extends { count: number; hash: number }>(name: string, run: (items: string[]) => T | Promise<T>, want?: T) {
  await run(stories.slice(0, 300)); // warm-up (JIT, tables, worker code)
  const t0 = performance.now();
  const got = await run(stories);
  const seconds = (performance.now() - t0) / 1000;
  if (want && (got.count !== want.count || got.hash !== want.hash))
    throw new Error(`${name}: token stream differs from gpt-tokenizer's (${got.count} vs ${want.count} tokens)`);
  console.log(`| ${name.padEnd(42)} | ${(megabytes / seconds).toFixed(2).padStart(6)} | ${(got.count / seconds / 1e3).toFixed(0).padStart(6)}k | ${seconds.toFixed(2).padStart(6)} |`);
  return got;
}

console.log(`text: ${stories.length} stories, ${megabytes.toFixed(1)} MB (${files.length} files x ${o.repeat}); ` +
  `${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} at start; node ${process.version}`);
console.log('| variant                                    |   MB/s | tokens/s |      s |');
console.log('| ------------------------------------------ | -----: | -------: | -----: |');
const reference = await time('gpt-tokenizer encode(), direct, 1 thread', direct);
await time('pipeline, 1 thread (tokenizeStories)', (items) => pipeline(tokenizeStories, items), reference);
await time('pipeline, 1 thread (parallelTokenize, 0 workers)', (items) => pipeline(parallelTokenize({ workers: 0 }), items), reference);
for (const workers of o.workers.split(',').map(Number))
  await time(`pipeline, ${workers} workers (parallelTokenize)`, (items) => pipeline(parallelTokenize({ workers, inlineChars: 0 }), items), reference);
console.log(`load average ${loadavg()[0].toFixed(1)} at the end`);
