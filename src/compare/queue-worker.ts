// worker.ts's logic: a BullMQ Worker that trains each queued run in its own train.ts child process (a
// crash of one run never takes the worker down; the event loop stays free for BullMQ's lock renewal),
// reports step/loss/tokens per second as job progress and returns the run's metrics and config.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { writeFileAtomic } from '../util/atomic-write.js';
import { BackendError, ConfigError } from '../util/errors.js';
import { lastRow } from './progress.js';
import {
  QUEUE_NAME,
  RedisLink,
  hideUrlPassword,
  type RunJobData,
  type RunJobProgress,
  type RunJobResult,
} from './queue.js';
import { checkpointStep, readMetrics } from './runs.js';
import { defaultTrainer, type TrainerCommand } from './suite.js';

export interface WorkerOptions {
  queueUrl: string;
  /** Runs trained at once by this worker (one per GPU or CPU core). */
  concurrency: number;
  /** Passed to train.ts --backend. */
  backend: string | null;
  /** Run folders live in DIR/<job id>; on storage shared by the workers a retried run resumes there. */
  runsDir: string;
  /** A worker silent this long (killed, machine lost) loses its runs to the others (BullMQ lockDuration). */
  stallSec: number;
  /** Seconds to keep reconnecting to an unreachable Redis before stopping. */
  graceSec: number;
  trainer?: TrainerCommand;
  log?: (line: string) => void;
}

interface Active {
  child: ReturnType<typeof spawn>;
  stopRequested: boolean;
  /** Resolves when the child has exited. */
  closed: Promise<unknown>;
}

const GUARD = fileURLToPath(new URL('./queue-child-guard.mjs', import.meta.url));

/**
 * Serves the queue until `stop` resolves with the signal that asked the worker to stop (then running runs
 * checkpoint and go back to the queue), until this machine turns out unable to train (a BackendError:
 * its run goes back to the queue and the worker stops with the error), or until Redis is lost.
 */
export async function runWorker(opts: WorkerOptions, stop: Promise<string>): Promise<void> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
    throw new ConfigError(
      `--concurrency ${opts.concurrency} must be a positive integer`,
      'e.g. --concurrency 1 (one per GPU)',
    );
  if (!(opts.stallSec > 0))
    throw new ConfigError(`--stall-sec ${opts.stallSec} must be a positive number of seconds`, 'e.g. --stall-sec 30');
  if (!(opts.graceSec >= 0))
    throw new ConfigError(`--grace-sec ${opts.graceSec} must be a number of seconds`, 'e.g. --grace-sec 60');
  const log = opts.log ?? ((line: string) => console.log(line));
  const link = new RedisLink(opts.queueUrl, opts.graceSec, log);
  const name = `${hostname()}:${process.pid}`;
  let fault: (err: Error) => void = () => {};
  const faulted = new Promise<Error>((resolve) => (fault = resolve));
  const ctx: JobContext = {
    ...opts,
    runsDir: resolve(opts.runsDir),
    name,
    active: new Map(),
    stopping: false,
    fault,
    log,
  };
  let worker: Worker<RunJobData, RunJobResult> | null = null;
  try {
    await link.ready();
    worker = new Worker<RunJobData, RunJobResult>(QUEUE_NAME, (job, token) => trainJob(job, token, ctx), {
      connection: link.redis,
      concurrency: opts.concurrency,
      name,
      lockDuration: opts.stallSec * 1000,
      stalledInterval: Math.max(500, (opts.stallSec * 1000) / 2),
      maxStalledCount: 3,
    });
    worker.on('error', () => {}); // connection trouble: RedisLink reports it and gives up after the grace period
    // A lock this worker could not renew has gone (or will go) to another worker: stop training beside it.
    worker.on('lockRenewalFailed', (ids) => {
      for (const id of ids) {
        log(`worker ${name}: lost the lock of ${id}; stopping its run (another worker continues it)`);
        ctx.active.get(id)?.child.kill('SIGKILL');
      }
    });
    log(
      `worker ${name}: serving ${hideUrlPassword(opts.queueUrl)} (concurrency ${opts.concurrency}, runs in ${ctx.runsDir})`,
    );
    const reason = await link.guard(Promise.race([stop, faulted]));
    log(
      `worker ${name}: ${reason instanceof Error ? 'cannot train here' : reason}: stopping runs at their next step, returning them to the queue`,
    );
    ctx.stopping = true;
    for (const a of ctx.active.values()) stopRun(a);
    await link.guard(worker.close());
    if (reason instanceof Error) throw reason;
  } catch (err) {
    // Redis lost: stop the runs at a checkpoint (their jobs stay active in Redis; once it is back, the
    // stalled-job check hands them to a worker, which resumes them) and wait for the children to exit.
    const running = [...ctx.active.values()];
    for (const a of running) a.child.kill('SIGTERM');
    await Promise.all(running.map((a) => a.closed));
    void worker?.close(true).catch(() => {});
    throw err;
  } finally {
    link.close();
  }
}

function stopRun(a: Active): void {
  a.stopRequested = true;
  a.child.kill('SIGTERM');
}

interface JobContext extends WorkerOptions {
  runsDir: string;
  name: string;
  active: Map<string, Active>;
  /** Set once the worker shuts down: a job fetched meanwhile goes straight back to the queue. */
  stopping: boolean;
  /** Reports that this machine cannot train (the worker then stops). */
  fault: (err: Error) => void;
  log: (line: string) => void;
}

async function trainJob(
  job: Job<RunJobData, RunJobResult>,
  token: string | undefined,
  ctx: JobContext,
): Promise<RunJobResult> {
  const id = job.id!;
  if (ctx.stopping) return backToQueue(job, token);
  const dir = join(ctx.runsDir, id);
  const configPath = join(ctx.runsDir, 'configs', `${id}.json`);
  writeFileAtomic(configPath, JSON.stringify(job.data.config, null, 2) + '\n');
  const resumedFrom = checkpointStep(dir) ?? 0;
  if (resumedFrom === 0) rmSync(dir, { recursive: true, force: true }); // a start without a checkpoint: nothing to keep
  const trainer = ctx.trainer ?? defaultTrainer();
  const args = [...trainer.args, '--config', configPath, '--out', dir];
  if (resumedFrom > 0) args.push('--resume');
  if (ctx.backend) args.push('--backend', ctx.backend);
  ctx.log(
    `worker ${ctx.name}: ${job.data.runId} (${id}) ${resumedFrom > 0 ? `resumed at step ${resumedFrom}` : 'started'}`,
  );

  const { exit, tail, entry } = await runTrainer(job, ctx, dir, trainer.command, args, resumedFrom);

  const step = checkpointStep(dir) ?? 0;
  const maxSteps = (job.data.config.train as { maxSteps?: number } | undefined)?.maxSteps ?? 0;
  if (exit.code === 0 && step >= maxSteps) {
    ctx.log(`worker ${ctx.name}: ${job.data.runId} (${id}) finished at step ${step}`);
    return {
      runId: job.data.runId,
      worker: ctx.name,
      step,
      resumedFrom,
      summary: runNumbers(dir),
      metrics: readFileSync(join(dir, 'metrics.jsonl'), 'utf8'),
      config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
    };
  }
  if (entry.stopRequested && [0, 130, 143, null].includes(exit.code)) {
    // Our own shutdown: train.ts checkpointed (or was killed by the signal); another worker continues the run.
    ctx.log(`worker ${ctx.name}: ${job.data.runId} (${id}) returned to the queue at step ${step}`);
    return backToQueue(job, token);
  }
  // Killed from outside (OOM killer...), stopped by someone else's signal, or not started: BullMQ retries it.
  if (exit.code === null || exit.code === -1 || exit.code === 0 || exit.code === 130 || exit.code === 143)
    throw new Error(
      exit.code === -1
        ? `train.ts could not start: ${exit.signal}`
        : `train.ts stopped at step ${step} of ${maxSteps} (${exit.code === null ? `killed by ${exit.signal}` : `exit code ${exit.code}`})`,
    );
  const message = errorLines(tail) || `train.ts exited with code ${exit.code}`;
  if (/^BackendError: /.test(message)) {
    // This machine cannot train (no GPU, a --backend it lacks): the run goes to another worker, this one stops.
    ctx.log(`worker ${ctx.name}: ${job.data.runId} (${id}) returned to the queue: ${message.split('\n')[0]}`);
    ctx.fault(
      new BackendError(
        `train.ts cannot run here: ${message.replace(/^BackendError: /, '').replace(/\nhint: /, ' (')}${message.includes('\nhint: ') ? ')' : ''}`,
        "fix worker.ts --backend or this machine's set-up, then start the worker again",
      ),
    );
    return backToQueue(job, token);
  }
  // train.ts stopped for the run's own reasons (non-finite loss, bad config): retrying would fail the same way.
  ctx.log(`worker ${ctx.name}: ${job.data.runId} (${id}) FAILED: ${message.split('\n')[0]}`);
  throw new UnrecoverableError(message);
}

/** Runs one train.ts child (log in runsDir/logs/<job id>.log), reporting its progress each second until it exits. */
async function runTrainer(
  job: Job<RunJobData, RunJobResult>,
  ctx: JobContext,
  dir: string,
  command: string,
  args: string[],
  resumedFrom: number,
) {
  const id = job.id!;
  mkdirSync(join(ctx.runsDir, 'logs'), { recursive: true });
  const logFile = createWriteStream(join(ctx.runsDir, 'logs', `${id}.log`), { flags: 'a' });
  // Own process group: a Ctrl-C in the worker's terminal reaches the worker only, which then stops the
  // run with one SIGTERM (train.ts finishes the step, checkpoints and exits 143).
  const child = spawn(command, ['--import', GUARD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  const entry: Active = { child, stopRequested: false, closed: new Promise((done) => child.on('close', done)) };
  ctx.active.set(id, entry);
  if (ctx.stopping) stopRun(entry);
  let tail = '';
  const keep = (chunk: Buffer) => {
    logFile.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const progress: RunJobProgress = { worker: ctx.name, step: resumedFrom, loss: null, tokensPerSec: null };
  const report = async () => {
    const row = lastRow(join(dir, 'metrics.jsonl')); // an eval row carries no loss nor speed: keep the last ones
    if (!row || typeof row.step !== 'number') return;
    progress.step = row.step;
    if (typeof row.loss === 'number') progress.loss = row.loss;
    if (typeof row.tokensPerSec === 'number') progress.tokensPerSec = row.tokensPerSec;
    await job.updateProgress({ ...progress }).catch(() => {}); // a lost lock is handled by lockRenewalFailed
  };
  await job.updateProgress({ ...progress }).catch(() => {});
  const timer = setInterval(() => void report(), 1000);
  const exit = await new Promise<{ code: number | null; signal: string | null }>((done) => {
    child.on('error', (err) => done({ code: -1, signal: err.message }));
    child.on('close', (code, signal) => done({ code, signal }));
  });
  clearInterval(timer);
  await report(); // the last step's numbers
  ctx.active.delete(id);
  await new Promise<void>((done) => logFile.end(done));

  return { exit, tail, entry };
}

/** Final and best losses of a finished run folder (JSON null where train.ts logged none or a non-finite one). */
function runNumbers(dir: string): RunJobResult['summary'] {
  const rows = readMetrics(dir);
  const evals = rows.filter((r) => typeof r.valLoss === 'number');
  const last = rows.at(-1);
  const lastEval = evals.at(-1);
  const finite = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return {
    finalTrainLoss: finite(lastEval?.trainLoss ?? last?.loss),
    finalValLoss: finite(lastEval?.valLoss),
    bestValLoss: evals.length ? finite(Math.min(...evals.map((r) => r.valLoss!))) : null,
    tokens: last?.tokens ?? 0,
    elapsedSec: last?.elapsedSec ?? 0,
  };
}

/** Hands an active job back to the queue (BullMQ's documented moveToWait + WaitingError). */
async function backToQueue(job: Job<RunJobData, RunJobResult>, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}

/** The error train.ts printed (runMain's `Name: message` and `  hint: ...` lines) from the end of its output. */
export function errorLines(output: string): string {
  const lines = output.split('\n');
  let start = lines.length - 1;
  while (start >= 0 && !/^[A-Za-z]*Error: /.test(lines[start])) start--;
  if (start < 0) return '';
  const out = [lines[start]];
  for (const l of lines.slice(start + 1)) if (/^\s+hint: /.test(l)) out.push(l.trim());
  return out.join('\n');
}
