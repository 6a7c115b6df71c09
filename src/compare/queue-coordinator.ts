// compare.ts --queue: the coordinator. Enqueues every run of a suite as a BullMQ job (id = hash of the
// resolved config, so a second submission attaches instead of duplicating), follows the jobs in a live
// table, enqueues the MetaOptimize phase once the constant grids settle, and writes the same report.md,
// runs.csv and plots as a local run from the results the workers return (no shared disk needed).
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { resolveConfig } from '../config/resolve.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ConfigError, NanometaError } from '../util/errors.js';
import { defaultOutDir } from './compare.js';
import {
  phaseOneRuns,
  phaseTwoCount,
  phaseTwoRuns,
  resolveSuite,
  suiteSets,
  type RunSpec,
  type SuiteDef,
} from './grid.js';
import { writePlots } from './plot.js';
import {
  QUEUE_NAME,
  RedisLink,
  checkQueueUrl,
  runJobId,
  type RunJobData,
  type RunJobProgress,
  type RunJobResult,
} from './queue.js';
import { renderTable, type RunView } from './queue-table.js';
import { writeReport } from './report.js';
import { summariseRun, writeSuiteState, type RunSummary, type SuiteState } from './runs.js';
import { bestConstant, gridRunIds, openState } from './suite.js';

export interface QueueCompareOptions {
  queueUrl: string;
  suite: SuiteDef;
  config: string;
  steps: number;
  outDir: string;
  sets: string[];
  retryFailed?: boolean;
  /** Print the table once and return (nothing is enqueued, no report written). */
  statusOnly?: boolean;
  /** Seconds to keep reconnecting to an unreachable Redis before stopping. */
  graceSec: number;
  /** Seconds between polls of the queue. */
  pollSec?: number;
  /** Receives the table (transient: redrawn in place on a terminal) and event lines. */
  log?: (text: string, transient: boolean) => void;
}

export interface QueueCompareResult {
  summaries: RunSummary[];
  plots: string[];
  views: RunView[];
}

interface Planned {
  spec: RunSpec;
  jobId: string | null;
  data: RunJobData | null;
  view: RunView;
}

/** Jobs stay in Redis when finished: their results are the report's data and attach other coordinators. */
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: false,
  removeOnFail: false,
} as const;

/** compare.ts --queue: checks the command line as a local compare would, then runs the coordinator; returns the suite folder. */
export async function runQueuedCompareCli(o: {
  queueUrl: string;
  config?: string;
  suite: string;
  steps?: number;
  seeds?: number;
  outDir?: string;
  sets: string[];
  backend?: string;
  retryFailed: boolean;
  statusOnly: boolean;
  graceSec: number;
}): Promise<string> {
  const suite = resolveSuite(o.suite, o.seeds, o.sets);
  if (!o.config) throw new ConfigError('--config is required', 'e.g. --config tinystories-tiny');
  if (o.backend)
    throw new ConfigError('--backend is chosen by each worker with --queue', 'pass it to worker.ts --backend');
  const steps = o.steps ?? suite.defaultSteps;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfigError(`--steps ${o.steps} must be a positive integer`, 'e.g. --steps 200');
  if (!Number.isFinite(o.graceSec) || o.graceSec < 0)
    throw new ConfigError(`--grace-sec ${o.graceSec} must be a number of seconds`, 'e.g. --grace-sec 60');
  const outDir = o.outDir ?? defaultOutDir(o.config, suite.name);
  await runQueuedCompare({
    queueUrl: checkQueueUrl(o.queueUrl),
    suite,
    config: o.config,
    steps,
    outDir,
    sets: o.sets,
    retryFailed: o.retryFailed,
    statusOnly: o.statusOnly,
    graceSec: o.graceSec,
  });
  return outDir;
}

export async function runQueuedCompare(opts: QueueCompareOptions): Promise<QueueCompareResult> {
  for (const s of opts.sets)
    if (/^train\.maxSteps=/.test(s))
      throw new ConfigError(`--set ${s}: the suite sets train.maxSteps itself`, 'use --steps N');
  const log = opts.log ?? defaultLog;
  const link = new RedisLink(opts.queueUrl, opts.graceSec, (line) => log(line, false));
  const queue = new Queue<RunJobData, RunJobResult>(QUEUE_NAME, { connection: link.redis });
  queue.on('error', () => {}); // RedisLink reports connection trouble and gives up after the grace period
  try {
    await link.ready();
    return await link.guard(follow(opts, queue, log));
  } finally {
    await queue.close().catch(() => {});
    link.close();
  }
}

async function follow(
  opts: QueueCompareOptions,
  queue: Queue<RunJobData, RunJobResult>,
  log: NonNullable<QueueCompareOptions['log']>,
): Promise<QueueCompareResult> {
  // A bad --config or --set concerns every run: stop here rather than fail each run with it.
  await resolveConfig({
    config: opts.config,
    set: [...Object.entries(suiteSets(opts.suite, opts.steps)).map(([k, v]) => `${k}=${v}`), ...opts.sets],
  });
  const state: SuiteState = opts.statusOnly
    ? {
        version: 1,
        suite: opts.suite.name,
        config: opts.config,
        steps: opts.steps,
        seeds: opts.suite.seeds,
        sets: opts.sets,
        backend: null,
        best: null,
        specs: phaseOneRuns(opts.suite, opts.steps),
        records: {},
      }
    : openState({ ...opts, backend: null });
  const planned: Planned[] = [];
  const plan = async (specs: RunSpec[]) => {
    for (const spec of specs) planned.push(await planRun(opts, spec, queue));
  };
  await plan(state.specs);
  const gridIds = gridRunIds(state.specs);
  let phaseTwo = false;
  let lastText = '';
  for (;;) {
    for (const p of planned) await refresh(p, queue, opts, state, log);
    if (!phaseTwo && planned.filter((p) => gridIds.has(p.spec.id)).every((p) => settled(p.view))) {
      phaseTwo = true;
      state.best = bestConstant(opts, state);
      const more = phaseTwoRuns(opts.suite, opts.steps, state.best);
      state.specs.push(...more);
      await plan(more);
      continue;
    }
    if (!opts.statusOnly) writeSuiteState(opts.outDir, state);
    const pending = phaseTwo ? 0 : phaseTwoCount(opts.suite);
    const text = renderTable(
      planned.map((p) => p.view),
      opts.steps,
      pending,
    );
    const finished = phaseTwo && planned.every((p) => settled(p.view));
    if (opts.statusOnly || finished) {
      log(text, false);
      break;
    }
    if (text !== lastText) log(text, true);
    lastText = text;
    await new Promise((resolve) => setTimeout(resolve, (opts.pollSec ?? 1) * 1000));
  }
  const views = planned.map((p) => p.view);
  if (opts.statusOnly) return { summaries: [], plots: [], views };
  const summaries = state.specs.map((s) =>
    summariseRun(join(opts.outDir, 'runs', s.id), s, opts.steps, state.records[s.id]),
  );
  const plots = await writePlots(opts.outDir, summaries);
  writeReport(opts.outDir, state, summaries, plots);
  for (const v of views)
    if (v.state === 'failed') log(`compare: ${v.runId} FAILED on ${v.worker ?? '-'}: ${v.error}`, false);
  return { summaries, plots, views };
}

/** Resolves a run's config (a bad one fails that run only) and, unless --status, enqueues its job. */
async function planRun(
  opts: QueueCompareOptions,
  spec: RunSpec,
  queue: Queue<RunJobData, RunJobResult>,
): Promise<Planned> {
  const sets = [
    ...Object.entries(suiteSets(opts.suite, opts.steps)).map(([k, v]) => `${k}=${v}`),
    ...opts.sets,
    ...Object.entries(spec.sets).map(([k, v]) => `${k}=${v}`),
  ];
  const view: RunView = { runId: spec.id, jobId: null, state: 'queued' };
  try {
    const config = JSON.parse(
      JSON.stringify(await resolveConfig({ config: opts.config, optim: spec.optim, set: sets })),
    );
    const jobId = runJobId(config);
    const data = { runId: spec.id, config };
    view.jobId = jobId;
    if (!opts.statusOnly) await queue.add(spec.id, data, { ...JOB_OPTIONS, jobId }); // an existing id is kept as it is
    return { spec, jobId, data, view };
  } catch (err) {
    if (!(err instanceof NanometaError)) throw err;
    return { spec, jobId: null, data: null, view: { ...view, state: 'failed', error: err.message } };
  }
}

/** Reads one job's state into its view; a finished job's result becomes the suite's run folder. */
async function refresh(
  p: Planned,
  queue: Queue<RunJobData, RunJobResult>,
  opts: QueueCompareOptions,
  state: SuiteState,
  log: NonNullable<QueueCompareOptions['log']>,
): Promise<void> {
  const record = (state.records[p.spec.id] ??= { status: 'pending', wallSec: 0, attempts: 0 });
  if (!p.jobId) {
    Object.assign(record, { status: 'failed', error: p.view.error });
    return;
  }
  if (p.view.state === 'done' || (p.view.state === 'failed' && p.view.final)) return;
  let job: Job<RunJobData, RunJobResult> | undefined = await queue.getJob(p.jobId);
  if (!job) {
    if (opts.statusOnly) return void (p.view.state = 'not submitted');
    job = await queue.add(p.spec.id, p.data!, { ...JOB_OPTIONS, jobId: p.jobId }); // removed from Redis meanwhile
  }
  let jobState = await job.getState();
  if (jobState === 'failed' && opts.retryFailed && !opts.statusOnly && !p.view.retried) {
    p.view.retried = true;
    await job.retry('failed');
    jobState = 'waiting';
  }
  const before = p.view.state;
  const progress = (typeof job.progress === 'object' ? job.progress : null) as RunJobProgress | null;
  if (jobState === 'completed' && job.returnvalue) {
    const result = job.returnvalue;
    const dir = join(opts.outDir, 'runs', p.spec.id);
    // --status writes these too: the constant grids' results place the MetaOptimize runs (phase 2).
    writeFileAtomic(join(dir, 'metrics.jsonl'), result.metrics);
    writeFileAtomic(join(dir, 'config.json'), JSON.stringify(result.config, null, 2) + '\n');
    Object.assign(record, {
      status: 'done',
      step: result.step,
      worker: result.worker,
      attempts: job.attemptsStarted ?? 1,
    });
    Object.assign(p.view, {
      state: 'done',
      worker: result.worker,
      step: result.step,
      loss: lastLoss(result.metrics),
      tokensPerSec: null,
    });
  } else if (jobState === 'failed') {
    Object.assign(record, { status: 'failed', error: job.failedReason, worker: job.processedBy ?? progress?.worker });
    Object.assign(p.view, {
      state: 'failed',
      error: job.failedReason,
      worker: job.processedBy ?? progress?.worker,
      final: true,
    });
  } else if (jobState === 'active') {
    record.status = 'running';
    Object.assign(p.view, {
      state: 'running',
      worker: progress?.worker ?? job.processedBy,
      step: progress?.step,
      loss: progress?.loss,
      tokensPerSec: progress?.tokensPerSec,
    });
  } else {
    record.status = 'pending';
    Object.assign(p.view, { state: 'queued', worker: undefined, tokensPerSec: null });
  }
  if (p.view.state !== before && !opts.statusOnly && process.stderr.isTTY !== true)
    log(`compare: ${p.spec.id} ${p.view.state}${p.view.worker ? ` (${p.view.worker})` : ''}`, false);
}

function settled(v: RunView): boolean {
  return v.state === 'done' || v.state === 'failed';
}

/** The last logged training loss in a metrics.jsonl text. */
function lastLoss(metrics: string): number | null {
  const lines = metrics.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const row = JSON.parse(lines[i]);
      if (typeof row.loss === 'number') return row.loss;
    } catch {
      // a torn line cannot occur in a finished run's file; skip anything unreadable
    }
  }
  return null;
}

/** On a terminal the table is redrawn in place; otherwise only event lines and the final table are printed. */
let drawnLines = 0;
function defaultLog(text: string, transient: boolean): void {
  const tty = process.stderr.isTTY;
  if (!tty && transient) return;
  if (tty && drawnLines) process.stderr.write(`\x1b[${drawnLines}A\x1b[J`);
  process.stderr.write(`${text}\n`);
  drawnLines = tty && transient ? text.split('\n').length : 0;
}
