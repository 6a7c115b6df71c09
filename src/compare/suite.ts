// Runs a compare suite: each run is an ordinary `train.ts` child process writing DIR/runs/<id>; the suite
// is resumable (finished runs skipped, interrupted ones continued with --resume) and runs --jobs at once.
// Phase 1 runs the grids (on seed 1 when the suite has several seeds), the alpha0 sweep and the tuning-free
// methods; phase 2 (MetaOptimize on every seed, the grids' best lrs on seeds 2..N) starts once the grids are done.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lockRunFolder } from '../checkpoint/lock.js';
import { ConfigError } from '../util/errors.js';
import {
  gridCentre,
  isTuningRun,
  phaseOneRuns,
  phaseTwoCount,
  phaseTwoRuns,
  runOrder,
  suiteSets,
  type BestConstant,
  type RunSpec,
  type SuiteDef,
} from './grid.js';
import {
  pickBest,
  readSuiteState,
  runState,
  summariseRun,
  writeSuiteState,
  type RunRecord,
  type RunSummary,
  type SuiteState,
} from './runs.js';
import { SuiteProgress } from './progress.js';

/** The trainer: a command and the arguments before the run's own (`--config ... --out ...`). */
export interface TrainerCommand {
  command: string;
  args: string[];
}

/** `node --import tsx <repo>/<script>`: no npx start-up per run, works from any working directory. */
export function repoScript(script: string): TrainerCommand {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { command: process.execPath, args: ['--import', tsxLoader, join(repoRoot, script)] };
}

/** The suite's runs: `node --import tsx <repo>/train.ts`. */
export function defaultTrainer(): TrainerCommand {
  return repoScript('train.ts');
}

export interface SuiteOptions {
  suite: SuiteDef;
  /** Config name or path, passed to train.ts --config. */
  config: string;
  steps: number;
  jobs: number;
  outDir: string;
  /** The user's `--set a.b=v` overrides, applied to every run. */
  sets: string[];
  backend: string | null;
  trainer?: TrainerCommand;
  /** Run failed runs again (otherwise a failed run, e.g. a diverged lr, stays failed). */
  retryFailed?: boolean;
  /** Receives progress lines (default: stderr). */
  log?: (line: string, transient: boolean) => void;
}

export interface SuiteResult {
  state: SuiteState;
  summaries: RunSummary[];
}

export async function runSuite(opts: SuiteOptions): Promise<SuiteResult> {
  for (const s of opts.sets)
    if (/^train\.maxSteps=/.test(s))
      throw new ConfigError(`--set ${s}: the suite sets train.maxSteps itself`, 'use --steps N');
  // one suite process per folder: a second would find the first one's runs locked and record them as failed
  mkdirSync(opts.outDir, { recursive: true });
  const lock = lockRunFolder(opts.outDir, (line) => (opts.log ?? ((l: string) => console.error(l)))(line, false));
  try {
    return await runLocked(opts);
  } finally {
    lock.release();
  }
}

async function runLocked(opts: SuiteOptions): Promise<SuiteResult> {
  const state = openState(opts);
  const trainer = opts.trainer ?? defaultTrainer();
  const runsDir = join(opts.outDir, 'runs');
  const progress = new SuiteProgress(opts.steps, state.specs.length + phaseTwoCount(opts.suite), opts.log);
  const queue = [...state.specs];
  const gridIds = gridRunIds(state.specs);
  let phaseTwoAdded = false;
  const waiters: (() => void)[] = [];
  let firstRun: string | null = null;
  let firstRunReady: Promise<void> = Promise.resolve();
  const wake = (): void => waiters.splice(0).forEach((resolve) => resolve());

  const addPhaseTwo = (): void => {
    if (phaseTwoAdded || [...gridIds].some((id) => !isSettled(state.records[id]))) return;
    phaseTwoAdded = true;
    state.best = bestConstant(opts, state);
    const more = phaseTwoRuns(opts.suite, opts.steps, state.best);
    state.specs.push(...more);
    queue.push(...more);
    queue.sort(runOrder); // seed 1's MetaOptimize runs before seed 2's runs: a partial suite compares like with like
    writeSuiteState(opts.outDir, state);
  };

  const runOne = async (spec: RunSpec): Promise<void> => {
    const dir = join(runsDir, spec.id);
    const record = (state.records[spec.id] ??= { status: 'pending', wallSec: 0, attempts: 0 });
    const before = runState(dir, opts.steps);
    if (before === 'done' || (record.status === 'failed' && !opts.retryFailed)) {
      if (before === 'done') record.status = 'done';
      progress.skipped(spec.id);
      return;
    }
    if (before === 'fresh') rmSync(dir, { recursive: true, force: true }); // nothing worth keeping
    // The first run starts alone until it has logged a row: it prepares (tokenizes, caches) the data once.
    const first = firstRun === null;
    if (first) firstRun = spec.id;
    else await firstRunReady;
    record.status = 'running';
    record.attempts++;
    writeSuiteState(opts.outDir, state);
    progress.started(spec.id, dir);
    const started = Date.now();
    const child = spawnRun(
      trainer,
      trainArgs(opts, spec, dir, before === 'partial'),
      join(opts.outDir, 'logs', `${spec.id}.log`),
    );
    if (first) firstRunReady = firstRow(join(dir, 'metrics.jsonl'), child);
    const exitCode = await child;
    record.wallSec += (Date.now() - started) / 1000;
    record.exitCode = exitCode;
    record.status =
      runState(dir, opts.steps) === 'done' && exitCode === 0
        ? 'done'
        : interrupted(exitCode)
          ? 'interrupted'
          : 'failed';
    progress.finished(spec.id, record.status);
    writeSuiteState(opts.outDir, state);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const spec = queue.shift();
      if (spec) {
        await runOne(spec);
        addPhaseTwo();
        wake();
        continue;
      }
      addPhaseTwo();
      if (queue.length) continue;
      if (phaseTwoAdded) return;
      await new Promise<void>((resolve) => waiters.push(resolve)); // a constant-grid run is still going
    }
  };

  progress.start();
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, worker));
  } finally {
    progress.stop();
  }
  const summaries = state.specs.map((s) => summariseRun(join(runsDir, s.id), s, opts.steps, state.records[s.id]));
  return { state, summaries };
}

/** train.ts arguments of one run: suite settings, then the user's --set, then the run's own. */
export function trainArgs(opts: SuiteOptions, spec: RunSpec, dir: string, resume: boolean): string[] {
  const args = ['--config', opts.config, '--optim', spec.optim];
  for (const [k, v] of Object.entries(suiteSets(opts.suite, opts.steps, opts.suite.seeds)))
    args.push('--set', `${k}=${v}`);
  for (const s of opts.sets) args.push('--set', s);
  for (const [k, v] of Object.entries(spec.sets)) args.push('--set', `${k}=${v}`);
  args.push('--out', dir);
  if (resume) args.push('--resume');
  if (opts.backend) args.push('--backend', opts.backend);
  return args;
}

/** Settled for this invocation: phase 2 may start. An interrupted run is resumed by the next invocation. */
function isSettled(r: RunRecord | undefined): boolean {
  return r?.status === 'done' || r?.status === 'failed' || r?.status === 'interrupted';
}

/** Killed by a signal (exit code null) or exited as after SIGINT/SIGTERM: not the run's own failure. */
function interrupted(exitCode: number | null): boolean {
  return exitCode === null || exitCode === 130 || exitCode === 143;
}

/** The grid runs phase 2 waits for (seed 1's, in a suite of several seeds). */
export function gridRunIds(specs: RunSpec[]): Set<string> {
  const grids = new Set(['adamw-constant', 'lion-constant', 'adamw-cosine']);
  return new Set(specs.filter((s) => grids.has(s.group) && isTuningRun(s)).map((s) => s.id));
}

/** Best lr of each grid by final val loss on the tuning seed; a grid without a usable run uses its centre. */
export function bestConstant(opts: Pick<SuiteOptions, 'outDir' | 'steps' | 'suite'>, state: SuiteState): BestConstant {
  const summarise = (group: string) =>
    state.specs
      .filter((s) => s.group === group && isTuningRun(s))
      .map((s) => summariseRun(join(opts.outDir, 'runs', s.id), s, opts.steps, state.records[s.id]));
  const adamw = pickBest(summarise('adamw-constant'));
  const lion = pickBest(summarise('lion-constant'));
  const cosine = pickBest(summarise('adamw-cosine'));
  return {
    adamw: adamw?.spec.hyper.lr ?? gridCentre(opts.suite.adamwConstant, 1e-3),
    lion: lion?.spec.hyper.lr ?? gridCentre(opts.suite.lionConstant, 1e-4),
    adamwCosine: cosine?.spec.hyper.lr ?? gridCentre(opts.suite.adamwCosine, 3e-3),
  };
}

/** Loads DIR/suite.json (refusing one made for another suite, config or --set) or starts a new one. */
export function openState(
  opts: Pick<SuiteOptions, 'outDir' | 'suite' | 'config' | 'steps' | 'sets' | 'backend'>,
): SuiteState {
  mkdirSync(join(opts.outDir, 'logs'), { recursive: true });
  const old = readSuiteState(opts.outDir);
  if (
    old &&
    (old.suite !== opts.suite.name ||
      old.config !== opts.config ||
      (old.seeds ?? 1) !== opts.suite.seeds ||
      JSON.stringify(old.sets) !== JSON.stringify(opts.sets))
  )
    throw new ConfigError(
      `${join(opts.outDir, 'suite.json')} was made by --suite ${old.suite} --config ${old.config} --seeds ${old.seeds ?? 1} ${old.sets.map((s) => `--set ${s}`).join(' ')}`,
      'use another --out folder, or repeat the same --suite, --config, --seeds and --set to resume it',
    );
  const state: SuiteState = {
    version: 1,
    suite: opts.suite.name,
    config: opts.config,
    steps: opts.steps,
    seeds: opts.suite.seeds,
    sets: opts.sets,
    backend: opts.backend,
    best: null,
    specs: phaseOneRuns(opts.suite, opts.steps),
    records: old?.records ?? {},
  };
  for (const r of Object.values(state.records)) if (r.status === 'running') r.status = 'pending';
  writeSuiteState(opts.outDir, state);
  return state;
}

/** Resolves once the metrics file has a row, or the process ended (whatever its exit code). */
function firstRow(metricsPath: string, child: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(metricsPath) && statSync(metricsPath).size > 0) done();
    }, 500);
    const done = () => {
      clearInterval(timer);
      resolve();
    };
    void child.then(done);
  });
}

/** Runs the trainer with stdout and stderr going to a log file; resolves with the exit code. */
function spawnRun(trainer: TrainerCommand, args: string[], logPath: string): Promise<number | null> {
  mkdirSync(join(logPath, '..'), { recursive: true });
  const fd = openSync(logPath, 'a');
  return new Promise((resolve) => {
    const child = spawn(trainer.command, [...trainer.args, ...args], { stdio: ['ignore', fd, fd], env: process.env });
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code));
  }).finally(() => closeSync(fd)) as Promise<number | null>;
}
