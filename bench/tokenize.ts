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
import { closeTokenizePool, parallelTokenize } from '../src/data/tokenize-pool.js';

const program = new Command('bench/tokenize.ts')
  .option('--dir <path>', 'folder of TinyStories .txt files', '../shared/data/tinystories')
  .option('--repeat <n>', 'pass over the text this many times per measurement', '3')
  .option(
    '--rounds <n>',
    'measure each variant this many times, interleaved; the best and the median are reported',
    '3',
  )
  .option('--workers <list>', 'worker counts to measure', String(availableParallelism()))
  .parse();
const o = program.opts<{ dir: string; repeat: string; rounds: string; workers: string }>();

const files = readdirSync(o.dir)
  .filter((n) => n.endsWith('.txt'))
  .sort();
const once = files.flatMap((f) =>
  readFileSync(join(o.dir, f), 'utf8')
    .split(/\n<\|endoftext\|>\n?/)
    .map((s) => s.trim())
    .filter(Boolean),
);
const stories = Array.from({ length: Number(o.repeat) }, () => once).flat();
const megabytes = stories.reduce((n, s) => n + Buffer.byteLength(s), 0) / 1e6;

/** Sums and checksums the stream, so variants can be compared without keeping every id. */
function checksumSink(): TokenSink & { count: number; hash: number } {
  const sink = {
    count: 0,
    hash: 0,
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
  const sink = checksumSink(),
    options = { disallowedSpecial: new Set<string>() };
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

interface Variant {
  name: string;
  run: (items: string[]) => Promise<{ count: number; hash: number }> | { count: number; hash: number };
  seconds: number[];
  /** CPU seconds of the whole process (every thread) per run. */
  cpu: number[];
  tokens: number;
}

const variants: Variant[] = [
  { name: 'gpt-tokenizer encode(), direct, 1 thread', run: direct, seconds: [], cpu: [], tokens: 0 },
  {
    name: 'pipeline, 1 thread (tokenizeStories)',
    run: (items) => pipeline(tokenizeStories, items),
    seconds: [],
    cpu: [],
    tokens: 0,
  },
  ...o.workers
    .split(',')
    .map(Number)
    .filter((w) => w >= 2)
    .map((workers) => ({
      name: `pipeline, ${workers} workers (parallelTokenize)`,
      seconds: [],
      cpu: [],
      tokens: 0,
      run: (items: string[]) => pipeline(parallelTokenize({ workers, inlineChars: 0 }), items),
    })),
];

console.log(
  `text: ${stories.length} stories, ${megabytes.toFixed(1)} MB (${files.length} files x ${o.repeat}); ` +
    `${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} at start; node ${process.version}`,
);
const reference = direct(stories);
for (const v of variants) {
  const got = await v.run(stories); // check (and warm up) before timing
  if (got.count !== reference.count || got.hash !== reference.hash)
    throw new Error(`${v.name}: token stream differs from gpt-tokenizer's (${got.count} vs ${reference.count} tokens)`);
  v.tokens = got.count;
}
for (let round = 0; round < Number(o.rounds); round++) {
  for (const v of variants) {
    const t0 = performance.now(),
      cpu0 = process.cpuUsage();
    await v.run(stories);
    v.seconds.push((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(cpu0);
    v.cpu.push((cpu.user + cpu.system) / 1e6);
  }
}
console.log(
  '| variant                                  | best MB/s | median MB/s | best tokens/s | MB per CPU-second | cores used |',
);
console.log(
  '| ---------------------------------------- | --------: | ----------: | ------------: | ----------------: | ---------: |',
);
for (const v of variants) {
  const sorted = [...v.seconds].sort((a, b) => a - b);
  const best = sorted[0],
    median = sorted[Math.floor(sorted.length / 2)];
  const cpu = v.cpu.reduce((a, b) => a + b, 0),
    wall = v.seconds.reduce((a, b) => a + b, 0);
  console.log(
    `| ${v.name.padEnd(40)} | ${(megabytes / best).toFixed(2).padStart(9)} | ${(megabytes / median).toFixed(2).padStart(11)} | ` +
      `${`${(v.tokens / best / 1e6).toFixed(2)}M`.padStart(13)} | ${((megabytes * v.cpu.length) / cpu).toFixed(2).padStart(17)} | ` +
      `${(cpu / wall).toFixed(2).padStart(10)} |`,
  );
}
console.log(
  `(the worker pool is shared and was started by the check pass, as in prepareData's train + val passes; ` +
    `load average ${loadavg()[0].toFixed(1)} at the end)`,
);
await closeTokenizePool();
