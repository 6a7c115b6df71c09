// Reads finished or partial training run folders (config.json, metrics.jsonl, checkpoint/state.json)
// and summarises each into the numbers the compare report needs; the suite state file lives here too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BestConstant, RunSpec } from './grid.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkpointStep as savedStep, hasCheckpointWeights } from '../checkpoint/recover.js';
import type { Config } from '../config/schema.js';

/** One metrics.jsonl row as train.ts writes it; eval rows add valLoss and trainLoss. */
export interface MetricsRow {
  step: number;
  /** Absent on eval-only rows (e.g. step 0); null if train.ts logged a non-finite loss. */
  loss?: number | null;
  /** The lr used at this step: a number, or one step size per MetaOptimize block. */
  lr?: number | number[];
  /** Tuning-free methods: the learned scalars (d, eta, s) after the step. */
  learned?: Record<string, number>;
  tokensPerSec?: number;
  elapsedSec?: number;
  tokens?: number;
  valLoss?: number;
  trainLoss?: number;
}

export type RunState = 'done' | 'partial' | 'fresh';

/**
 * done: the checkpoint reached `steps`; partial: a checkpoint short of it, with its weights (resume); fresh:
 * nothing usable. A short checkpoint without its safetensors (a committed results folder keeps state.json
 * only) cannot be resumed, so that run starts again.
 */
export function runState(dir: string, steps: number): RunState {
  const step = checkpointStep(dir);
  if (step === null) return 'fresh';
  if (step >= steps) return 'done';
  return hasCheckpointWeights(join(dir, 'checkpoint')) ? 'partial' : 'fresh';
}

/** The step of run folder `dir`'s checkpoint (DIR/checkpoint), or null when it has none. */
export function checkpointStep(dir: string): number | null {
  return savedStep(join(dir, 'checkpoint'));
}

/**
 * Rows of metrics.jsonl sorted by step. After a resume a step may be logged twice (the interrupted
 * tail and the replay); the last row written for a step wins, and a torn last line is skipped.
 */
export function readMetrics(dir: string): MetricsRow[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const byStep = new Map<number, MetricsRow>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let row: MetricsRow;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof row.step !== 'number') continue;
    const prev = byStep.get(row.step);
    // An eval row and a log row for the same step are merged; a replayed row overwrites.
    byStep.set(row.step, { ...prev, ...row });
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** config.json as train.ts writes it: the resolved config plus `run` (what the run derived, e.g. blockNames). */
export type RunConfigJson = Config & { run?: { blockNames?: unknown } };

/** config.json of a run, or null. */
export function readRunConfig(dir: string): RunConfigJson | null {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

export interface RunSummary {
  spec: RunSpec;
  /** The run folder. */
  dir: string;
  status: 'done' | 'failed' | 'partial' | 'missing';
  steps: number;
  tokens: number;
  wallSec: number;
  /** Train loss at the last evaluation (falls back to the last logged loss). */
  finalTrainLoss: number;
  finalValLoss: number;
  bestValLoss: number;
  /** Step sizes at the last logged step (one per block; one entry for a plain optimizer). */
  finalLr: number[];
  /** Largest step size reached by any block. */
  maxLr: number;
  blockNames: string[];
  /** A non-finite loss was logged or the run failed: excluded from "best" choices. */
  diverged: boolean;
  switchEvery: number | null;
  /** Mean of the logged training losses over the run: the continual-learning measure (NaN without rows). */
  meanOnlineLoss: number;
}

/** Summarises one run folder; `record` is the suite's bookkeeping for it (exit code, wall time). */
export function summariseRun(dir: string, spec: RunSpec, steps: number, record?: RunRecord): RunSummary {
  const rows = readMetrics(dir);
  const config = readRunConfig(dir);
  const evals = rows.filter((r) => r.valLoss !== undefined);
  const last = rows[rows.length - 1];
  const lrs = rows.filter((r) => r.lr !== undefined).map((r) => toArray(r.lr));
  const finalLr = lrs.length ? lrs[lrs.length - 1] : [];
  // A queued run's folder holds only what its worker returned (no checkpoint): the record has its step.
  const finalStep = checkpointStep(dir) ?? record?.step ?? null;
  const state: RunState = finalStep === null ? 'fresh' : finalStep >= steps ? 'done' : 'partial';
  const failed = record?.status === 'failed';
  const lastEval = evals[evals.length - 1];
  const finalTrainLoss = lastEval?.trainLoss ?? last?.loss ?? NaN;
  const lastLogged = [...rows].reverse().find((r) => r.tokens !== undefined);
  const finalValLoss = lastEval?.valLoss ?? NaN;
  const anyNonFinite =
    rows.some((r) => r.loss !== undefined && !Number.isFinite(r.loss)) ||
    evals.some((r) => !Number.isFinite(r.valLoss));
  return {
    spec,
    dir,
    status: failed ? 'failed' : state === 'done' ? 'done' : rows.length ? 'partial' : 'missing',
    steps: finalStep ?? last?.step ?? 0,
    tokens: lastLogged?.tokens ?? 0,
    // Training time as train.ts measures it (resumes included, process start-up and data preparation not).
    wallSec: lastLogged?.elapsedSec ?? record?.wallSec ?? 0,
    finalTrainLoss,
    finalValLoss,
    bestValLoss: evals.length ? Math.min(...evals.map((r) => r.valLoss as number)) : NaN,
    finalLr,
    maxLr: lrs.length ? Math.max(...lrs.flat()) : NaN,
    blockNames: Array.isArray(config?.run?.blockNames) ? config.run.blockNames : [],
    // a run not finished yet (pending, or partial without an eval) is not diverged: it is left out as unfinished
    diverged: failed || anyNonFinite || (state === 'done' && !Number.isFinite(finalValLoss)),
    switchEvery: typeof config?.data?.switchEvery === 'number' ? config.data.switchEvery : null,
    meanOnlineLoss: mean(
      rows.map((r) => r.loss).filter((x): x is number => typeof x === 'number' && Number.isFinite(x)),
    ),
  };
}

/** The mean of xs; NaN for none. */
export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/**
 * What a grid is tuned on: the final val loss, or in the continual setting (data switching every switchEvery
 * steps) the mean online training loss, because the last evaluation falls on a switch and measures the
 * distribution about to be trained on (retention of the other task), which the least-trained run wins.
 */
export function selectionLoss(r: RunSummary): number {
  return r.switchEvery !== null ? r.meanOnlineLoss : r.finalValLoss;
}

/** The name of selectionLoss for a set of runs, for sentences. */
export function selectionLossName(runs: RunSummary[]): string {
  return runs.some((r) => r.switchEvery !== null) ? 'mean online training loss' : 'final val loss';
}

export function toArray(lr: number | number[] | undefined): number[] {
  if (lr === undefined || lr === null) return [];
  return Array.isArray(lr) ? lr : [lr];
}

/** The run with the lowest selectionLoss among those that finished without diverging, or null. */
export function pickBest(runs: RunSummary[]): RunSummary | null {
  let best: RunSummary | null = null;
  for (const r of runs) {
    if (r.diverged || r.status !== 'done' || !Number.isFinite(selectionLoss(r))) continue;
    if (!best || selectionLoss(r) < selectionLoss(best)) best = r;
  }
  return best;
}

// ---- suite state (DIR/suite.json): what was asked for and what happened to each run ----

export interface RunRecord {
  /** interrupted: killed by a signal; the next invocation resumes it. failed: exited non-zero (kept unless --retry-failed). */
  status: 'pending' | 'running' | 'done' | 'failed' | 'interrupted';
  exitCode?: number | null;
  /** Wall seconds spent by this suite on the run (all attempts). */
  wallSec: number;
  attempts: number;
  /** Queued runs: the step of the worker's final checkpoint (the suite folder holds no checkpoint). */
  step?: number;
  /** Queued runs: the worker that finished or failed the run, and a failed run's error. */
  worker?: string;
  error?: string;
}

export interface SuiteState {
  version: 1;
  suite: string;
  config: string;
  steps: number;
  /** Training seeds per method (absent in files written before seeds existed: 1). */
  seeds?: number;
  sets: string[];
  backend: string | null;
  /** Best constant lr of each base family, once phase 1 finished. */
  best: BestConstant | null;
  specs: RunSpec[];
  records: Record<string, RunRecord>;
}

export function readSuiteState(outDir: string): SuiteState | null {
  const path = join(outDir, 'suite.json');
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as SuiteState;
}

export function writeSuiteState(outDir: string, state: SuiteState): void {
  writeFileAtomic(join(outDir, 'suite.json'), JSON.stringify(state, null, 2) + '\n');
}
