// Plots and a table for any run folders (not only compare suites): loss vs tokens, and the learned step
// sizes of MetaOptimize and tuning-free runs, as SVG + PNG, plus summary.md. Uses the compare report's plotting code.
//   npx tsx tools/plot-runs.ts --out docs/results/tiny-evidence runs/a runs/b ...
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { readRunConfig, summariseRun, type RunSummary } from '../src/compare/runs.js';
import { writePlots } from '../src/compare/plot.js';
import type { RunSpec } from '../src/compare/grid.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { ConfigError, runMain } from '../src/util/errors.js';
import { isLrFree } from '../src/optim/lrfree/spec.js';

const program = new Command('plot-runs.ts')
  .description('Summarise run folders into summary.md and SVG/PNG plots.')
  .requiredOption('--out <dir>', 'folder for summary.md and the plots')
  .argument('<runs...>', 'run folders (train.ts --out)');

await runMain(async () => {
  program.parse();
  const outDir = program.opts<{ out: string }>().out;
  mkdirSync(outDir, { recursive: true });
  const summaries: RunSummary[] = program.args.map((dir) => {
    const cfg = readRunConfig(dir);
    if (!cfg) throw new ConfigError(`${dir} has no config.json: not a run folder`);
    const mo = cfg.optimizer.metaOptimize;
    const free = isLrFree(cfg.optimizer.base.type); // tuning-free: its effective step size is plotted like MetaOptimize's
    const spec: RunSpec = {
      id: basename(dir),
      group: mo ? 'metaoptimize' : free ? 'tuning-free' : 'adamw-constant',
      method: mo
        ? `MO(${cfg.optimizer.base.type}, ${mo.meta.type}) ${typeof mo.blocks === 'string' ? mo.blocks : 'groups'}`
        : `${cfg.optimizer.base.type} ${cfg.optimizer.schedule.type}`,
      optim: mo ? `mo-${cfg.optimizer.base.type}` : cfg.optimizer.base.type,
      sets: {},
      hyper: {
        lr: cfg.optimizer.lr,
        schedule: cfg.optimizer.schedule.type,
        metaLr: mo?.meta.lr,
        blocks: mo ? String(mo.blocks) : undefined,
      },
    };
    return summariseRun(dir, spec, cfg.train.maxSteps);
  });
  await writePlots(outDir, summaries);
  const rows = summaries.map(
    (s) =>
      `| ${s.spec.id} | ${s.spec.method} | ${s.spec.hyper.lr}${s.spec.hyper.metaLr ? `, η ${s.spec.hyper.metaLr}` : ''} | ${s.finalTrainLoss.toFixed(3)} | ` +
      `${s.finalValLoss.toFixed(3)} | ${s.bestValLoss.toFixed(3)} | ${s.finalLr.length === 1 ? s.finalLr[0].toExponential(2) : `${Math.min(...s.finalLr).toExponential(1)}..${Math.max(...s.finalLr).toExponential(1)}`} |`,
  );
  writeFileAtomic(
    join(outDir, 'summary.md'),
    [
      '| run | method | lr / α0 | final train loss | final val loss | best val loss | final step size |',
      '|---|---|---|---:|---:|---:|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  console.log(`wrote ${outDir}/summary.md and plots`);
});
