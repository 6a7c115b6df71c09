// compare.ts: MetaOptimize from an untuned small step size against grid-tuned AdamW, AdamW + cosine and
// Lion, as one resumable suite of train.ts runs with a report (report.md, runs.csv, SVG/PNG plots).
//   npx tsx compare.ts --config tinystories-tiny --suite quick --jobs 2
//   npx tsx compare.ts --config tinystories-15m --suite paper --queue redis://host:6379   (runs on worker.ts machines)
import { Command, Option } from 'commander';
import { ConfigError, runMain } from './src/util/errors.js';
import { SUITES, SUITE_NAMES } from './src/compare/grid.js';
import { defaultOutDir, runCompare } from './src/compare/compare.js';
import { runQueuedCompareCli } from './src/compare/queue-coordinator.js';

const int = (v: string) => Number(v);
const program = new Command('compare')
  .description(
    'Run a compare suite (each run an ordinary train.ts run folder) and write report.md, runs.csv and plots.',
  )
  .option(
    '--config <name|path>',
    'config name in configs/ or a path (as train.ts --config); required unless --report-only',
  )
  .addOption(
    new Option('--suite <name>', SUITE_NAMES.map((n) => `${n}: ${SUITES[n].description}`).join('; '))
      .choices([...SUITE_NAMES])
      .default('quick'),
  )
  .option('--steps <n>', "optimizer steps per run (default: the suite's)", int)
  .option(
    '--seeds <n>',
    "training seeds per method (default: the suite's); with several, the grids are searched on seed 1 and their best lrs rerun on the others",
    int,
  )
  .option('--jobs <n>', 'runs at once (one per CPU core or GPU)', int, 1)
  .option('--out <dir>', 'suite folder (default: out/compare-<config>-<suite>)')
  .option('--set <key=value...>', 'config overrides for every run, as train.ts --set', [])
  .option('--backend <name>', 'passed to train.ts --backend (auto|cpu|wasm|webgpu|tensorflow)')
  .option('--retry-failed', 'run failed (e.g. diverged) runs again instead of keeping their result')
  .option('--report-only', 'do not train: rebuild report and plots from the run folders in --out')
  .option(
    '--cost',
    "also time each method's training step and measure its optimizer memory against AdamW (bench/optim-cost.ts, one run) for report.md's cost table",
  )
  .option(
    '--queue <url>',
    'run on worker.ts machines through Redis: redis://[user:password@]host:port[/db] or rediss:// (default: $NANOMETA_QUEUE)',
  )
  .option('--status', "with --queue: print the table of the suite's runs and exit")
  .option(
    '--grace-sec <n>',
    'with --queue: keep reconnecting to an unreachable Redis this long before stopping',
    int,
    60,
  )
  .addHelpText(
    'after',
    '\nResumable: run the same command again to skip finished runs and --resume interrupted ones.' +
      '\nWith --queue, running the same command again (from any machine) attaches to the suite in progress.',
  );

await runMain(async () => {
  const o = program.parse().opts();
  o.queue ??= process.env.NANOMETA_QUEUE; // not a commander default: --help would print its password
  if (o.status && !o.queue)
    throw new ConfigError(
      '--status shows a queued suite: it needs --queue URL (or NANOMETA_QUEUE)',
      'e.g. --queue redis://localhost:6379 --status',
    );
  if (o.queue && !o.reportOnly) {
    const outDir = await runQueuedCompareCli({
      queueUrl: o.queue,
      config: o.config,
      suite: o.suite,
      steps: o.steps,
      seeds: o.seeds,
      outDir: o.out,
      sets: o.set,
      backend: o.backend,
      retryFailed: !!o.retryFailed,
      statusOnly: !!o.status,
      graceSec: o.graceSec,
    });
    if (!o.status) console.log(`compare: wrote ${outDir}/report.md, runs.csv and plots`);
    return;
  }
  const { outDir } = await runCompare({
    config: o.config,
    suite: o.suite,
    steps: o.steps,
    seeds: o.seeds,
    jobs: o.jobs,
    outDir: o.out ?? (o.config ? defaultOutDir(o.config, o.suite) : undefined),
    sets: o.set,
    backend: o.backend ?? null,
    retryFailed: !!o.retryFailed,
    reportOnly: !!o.reportOnly,
    cost: !!o.cost,
  });
  console.log(`compare: wrote ${outDir}/report.md, runs.csv and plots`);
});
if (program.opts().queue ?? process.env.NANOMETA_QUEUE) process.exit(); // with Redis gone, BullMQ's connections may still hold timers
