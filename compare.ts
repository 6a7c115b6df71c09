// compare.ts: MetaOptimize from an untuned small step size against grid-tuned AdamW, AdamW + cosine and
// Lion, as one resumable suite of train.ts runs with a report (report.md, runs.csv, SVG/PNG plots).
//   npx tsx compare.ts --config tinystories-tiny --suite quick --jobs 2
import { Command, Option } from 'commander';
import { runMain } from './src/util/errors.js';
import { SUITES, SUITE_NAMES } from './src/compare/grid.js';
import { defaultOutDir, runCompare } from './src/compare/compare.js';

const int = (v: string) => Number(v);
const program = new Command('compare')
  .description('Run a compare suite (each run an ordinary train.ts run folder) and write report.md, runs.csv and plots.')
  .option('--config <name|path>', 'config name in configs/ or a path (as train.ts --config); required unless --report-only')
  .addOption(new Option('--suite <name>', SUITE_NAMES.map((n) => `${n}: ${SUITES[n].description}`).join('; '))
    .choices([...SUITE_NAMES]).default('quick'))
  .option('--steps <n>', 'optimizer steps per run (default: the suite\'s)', int)
  .option('--jobs <n>', 'runs at once (one per CPU core or GPU)', int, 1)
  .option('--out <dir>', 'suite folder (default: out/compare-<config>-<suite>)')
  .option('--set <key=value...>', 'config overrides for every run, as train.ts --set', [])
  .option('--backend <name>', 'passed to train.ts --backend (auto|cpu|webgpu|tensorflow)')
  .option('--retry-failed', 'run failed (e.g. diverged) runs again instead of keeping their result')
  .option('--report-only', 'do not train: rebuild report and plots from the run folders in --out')
  .addHelpText('after', '\nResumable: run the same command again to skip finished runs and --resume interrupted ones.');

await runMain(async () => {
  const o = program.parse().opts();
  const { outDir } = await runCompare({
    config: o.config, suite: o.suite, steps: o.steps, jobs: o.jobs, outDir: o.out ?? (o.config ? defaultOutDir(o.config, o.suite) : undefined),
    sets: o.set, backend: o.backend ?? null, retryFailed: !!o.retryFailed, reportOnly: !!o.reportOnly,
  });
  console.log(`compare: wrote ${outDir}/report.md, runs.csv and plots`);
});
