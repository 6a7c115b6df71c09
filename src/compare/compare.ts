// One compare: run (or resume) a suite, then write plots, report.md and runs.csv into its --out folder.
// This is what compare.ts calls; tests call it with a stand-in trainer.
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { SUITES, SUITE_NAMES, resolveSuite, type SuiteName } from './grid.js';
import { writePlots } from './plot.js';
import { COST_FILE, writeCostTable } from './cost.js';
import { writeReport } from './report.js';
import { readSuiteState, summariseRun, type RunSummary } from './runs.js';
import { runSuite, type TrainerCommand } from './suite.js';

export interface CompareOptions {
  /** Config name or path; not needed with reportOnly. */
  config?: string;
  suite: string;
  steps?: number;
  /** Training seeds per method (default: the suite's). */
  seeds?: number;
  jobs?: number;
  outDir?: string;
  sets?: string[];
  backend?: string | null;
  retryFailed?: boolean;
  /** Skip training: rebuild the report and plots from the run folders already in outDir. */
  reportOnly?: boolean;
  /** Also measure the cost table (compare/cost.ts: step time and optimizer memory against AdamW) for report.md. */
  cost?: boolean | { steps: number; rounds: number };
  trainer?: TrainerCommand;
  log?: (line: string, transient: boolean) => void;
}

export interface CompareResult {
  outDir: string;
  summaries: RunSummary[];
  plots: string[];
}

export function defaultOutDir(config: string, suite: string): string {
  const name = config.replace(/\\/g, '/').split('/').pop()!.replace(/\.ts$/, '');
  return join('out', `compare-${name}-${suite}`);
}

export async function runCompare(opts: CompareOptions): Promise<CompareResult> {
  if (opts.reportOnly && !SUITE_NAMES.includes(opts.suite as SuiteName))
    throw new ConfigError(`unknown suite '${opts.suite}'`, `use --suite ${SUITE_NAMES.join('|')}`);
  const suite = opts.reportOnly
    ? SUITES[opts.suite as SuiteName]
    : resolveSuite(opts.suite, opts.seeds, opts.sets ?? []);
  const steps = opts.steps ?? suite.defaultSteps;
  const jobs = opts.jobs ?? 1;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfigError(`--steps ${opts.steps} must be a positive integer`, 'e.g. --steps 200');
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new ConfigError(`--jobs ${opts.jobs} must be a positive integer`, 'e.g. --jobs 2 (one per CPU core)');
  if (opts.reportOnly) return reportOnly(opts.outDir);
  if (!opts.config) throw new ConfigError('--config is required', 'e.g. --config tinystories-tiny');
  const outDir = opts.outDir ?? defaultOutDir(opts.config, suite.name);
  const result = await runSuite({
    suite,
    config: opts.config,
    steps,
    jobs,
    outDir,
    sets: opts.sets ?? [],
    backend: opts.backend ?? null,
    trainer: opts.trainer,
    retryFailed: opts.retryFailed,
    log: opts.log,
  });
  if (opts.cost) {
    (opts.log ?? ((line: string) => console.error(line)))(
      `cost: timing each method against AdamW -> ${join(outDir, COST_FILE)}`,
      false,
    );
    const rounds = typeof opts.cost === 'object' ? opts.cost : {};
    writeCostTable({ suite, config: opts.config, outDir, backend: opts.backend, ...rounds });
  }
  const plots = await writePlots(outDir, result.summaries);
  writeReport(outDir, result.state, result.summaries, plots);
  return { outDir, summaries: result.summaries, plots };
}

/** Rebuilds plots, report.md and runs.csv from a suite folder's suite.json and run folders. */
async function reportOnly(outDir: string | undefined): Promise<CompareResult> {
  if (!outDir)
    throw new ConfigError(
      '--report-only needs --out DIR (the suite folder)',
      'e.g. --report-only --out out/compare-tinystories-tiny-quick',
    );
  const state = readSuiteState(outDir);
  if (!state)
    throw new ConfigError(`${join(outDir, 'suite.json')} not found`, 'run the suite first (without --report-only)');
  const summaries = state.specs.map((s) =>
    summariseRun(join(outDir, 'runs', s.id), s, state.steps, state.records[s.id]),
  );
  const plots = await writePlots(outDir, summaries);
  writeReport(outDir, state, summaries, plots);
  return { outDir, summaries, plots };
}
