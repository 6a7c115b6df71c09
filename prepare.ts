// Prepare a config's data without training: `npx tsx prepare.ts --config tinystories-15m [--set data.source=...]`.
// Downloads (hf:), converts parquet to Arrow, and tokenizes into token shards in data.cacheDir (src/data/prepare.ts).
import { Command } from 'commander';
import { resolveConfig, listNames, CONFIGS_DIR } from './src/config/resolve.js';
import { prepareData } from './src/data/prepare.js';
import { parallelTokenize } from './src/data/tokenize-pool.js';
import { ConfigError, runMain } from './src/util/errors.js';

const program = new Command('prepare.ts')
  .description(
    'Download, convert and tokenize the data of a config into token shards (what train.ts does first), then exit.',
  )
  .option(
    '-c, --config <name|path>',
    `config name in configs/ (${listNames(CONFIGS_DIR).join(', ')}) or a file path`,
    'tinystories-tiny',
  )
  .option(
    '-s, --set <key=value>',
    'override one config key, e.g. --set data.maxTrainShards=1 (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option('-w, --workers <n>', 'tokenizer worker threads (default: every core; 0 = this thread only)')
  .addHelpText(
    'after',
    `
Sources (data.source): synthetic | text:PATH | arrow:PATH | parquet:PATH | hf:OWNER/NAME (see docs/data.md).
Examples:
  npx tsx prepare.ts --config tinystories-15m --set data.maxTrainShards=1
  npx tsx prepare.ts --config tinystories-tiny --set data.source=arrow:path/to/save_to_disk/train --set data.textColumn=story
  HF_ENDPOINT=https://hf-mirror.example npx tsx prepare.ts --config tinystories-15m`,
  );

await runMain(async () => {
  program.parse();
  const o = program.opts<{ config: string; set: string[]; workers?: string }>();
  const workers = o.workers === undefined ? undefined : Number(o.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
    throw new ConfigError(
      `--workers ${o.workers}: expected a whole number >= 0`,
      'e.g. --workers 4, or --workers 0 for one thread',
    );
  const cfg = await resolveConfig({ config: o.config, set: o.set });
  const t0 = Date.now();
  const data = await prepareData(cfg.data, {
    log: (line) => console.error(line),
    tokenize: workers === undefined ? undefined : parallelTokenize({ workers }),
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`${data.reused ? 'reused' : `prepared in ${seconds}s`}: ${data.dir}\n  ${data.description}`);
});
