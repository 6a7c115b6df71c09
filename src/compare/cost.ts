// The cost table of a compare suite, in the spirit of the MetaOptimize paper's Table 1: step time and
// optimizer-state memory of every method of the suite against AdamW, as ratios from ONE run of the benchmark
// bench/optim-cost.ts (methods interleaved round by round), written to DIR/cost.md and shown in report.md.
// It runs as a child process, like the suite's training runs, so a benchmark never shares a process with them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainingError } from '../util/errors.js';
import type { SuiteDef } from './grid.js';
import { repoScript } from './suite.js';

export const COST_FILE = 'cost.md';

/** AdamW (the baseline), then each MetaOptimize variant and each tuning-free method of the suite, by preset. */
export function costPresets(suite: SuiteDef): string[] {
  const presets = ['adamw', ...suite.variants.map((v) => v.optim), ...suite.tuningFree.map((t) => t.key)];
  return [...new Set(presets)];
}

export interface CostOptions {
  suite: SuiteDef;
  config: string;
  outDir: string;
  /** Passed to the benchmark's --backend (default cpu). */
  backend?: string | null;
  /** Timed steps per method and rounds over all methods (the benchmark's defaults: 5 and 2). */
  steps?: number;
  rounds?: number;
}

/** Runs bench/optim-cost.ts for the suite's methods into DIR/cost.md (kept when it exists: delete it to re-measure). */
export function writeCostTable(o: CostOptions): string {
  const file = join(o.outDir, COST_FILE);
  if (existsSync(file)) return file;
  const bench = repoScript('bench/optim-cost.ts');
  const args = [...bench.args, '--config', o.config, '--optims', costPresets(o.suite).join(','), '--out', file];
  if (o.backend) args.push('--backend', o.backend);
  if (o.steps) args.push('--steps', String(o.steps));
  if (o.rounds) args.push('--rounds', String(o.rounds));
  const r = spawnSync(bench.command, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new TrainingError(
      `the cost benchmark (bench/optim-cost.ts) failed with exit ${r.status}:\n${(r.stderr || r.stdout).trim()}`,
      'run it alone to see why: npx tsx bench/optim-cost.ts --help',
    );
  return file;
}

/** The cost table's markdown for report.md, or null when the suite folder has none. */
export function readCostTable(outDir: string): string | null {
  const file = join(outDir, COST_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}
