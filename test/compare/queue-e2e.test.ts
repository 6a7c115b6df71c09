// End to end with a real Redis, real worker.ts processes and the real train.ts: the continual suite on a
// tiny model through the queue gives the same losses as the same suite run locally with --jobs, while one
// worker is SIGKILLed mid-run (its run resumes from its checkpoint in the shared run folder on another
// worker) and another is stopped with SIGTERM (its run goes back to the queue); a diverging run fails with
// train.ts's message, once, while the suite's other run finishes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCompare } from '../../src/compare/compare.js';
import { plannedRunCount, SUITES } from '../../src/compare/grid.js';
import { QUEUE_NAME } from '../../src/compare/queue.js';
import { CSV_COLUMNS } from '../../src/compare/report.js';
import { runQueuedCompare } from '../../src/compare/queue-coordinator.js';
import { checkpointStep, readMetrics } from '../../src/compare/runs.js';
import { HAVE_REDIS, startRedis, type RedisServer } from './redis-server.js';

const REPO = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'nanometa-queue-e2e-'));
const SHARED = join(tmp, 'shared-runs');
const STEPS = 30;
const KILL_AT = 10; // checkpoints every 5 steps: a run is stopped once it has one at 10+, 20 steps before its end
const TINY = [
  'model.nLayer=1',
  'model.nHead=2',
  'model.nEmbd=32',
  'model.blockSize=32',
  'train.batchSize=4',
  'train.evalIters=1',
  'train.evalInterval=10',
  'train.logInterval=1',
  'train.checkpointInterval=5',
  `data.cacheDir=${join(tmp, 'data')}`,
  'data.syntheticStories=300',
];

interface WorkerProc {
  name: string;
  child: ChildProcess;
  out: string;
  exit: Promise<number | null>;
}

let redis: RedisServer;
const workers: WorkerProc[] = [];

function startWorker(name: string): WorkerProc {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'worker.ts',
      '--queue',
      redis.url,
      '--runs',
      SHARED,
      '--backend',
      'cpu',
      '--stall-sec',
      '4',
      '--grace-sec',
      '10',
    ],
    { cwd: REPO },
  );
  const w: WorkerProc = {
    name,
    child,
    out: '',
    exit: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  child.stdout!.on('data', (c) => (w.out += c));
  child.stderr!.on('data', (c) => (w.out += c));
  workers.push(w);
  return w;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lines = (w: WorkerProc, what: RegExp) => w.out.split('\n').filter((l) => what.test(l));

/** Waits until one of the worker's runs has a checkpoint at KILL_AT+ (5+ steps past where it began), then signals the worker. */
async function stopMidRun(
  w: WorkerProc,
  signal: NodeJS.Signals,
  done: () => boolean,
): Promise<{ runId: string; jobId: string } | null> {
  while (!done()) {
    for (const m of w.out.matchAll(/: (\S+) \((run-[0-9a-f]+)\) (?:started|resumed at step (\d+))\n/g)) {
      const [, runId, jobId, from] = m;
      const step = checkpointStep(join(SHARED, jobId));
      if (step !== null && step >= Math.max(KILL_AT, Number(from ?? 0) + 5) && !w.out.includes(`(${jobId}) finished`)) {
        w.child.kill(signal);
        return { runId, jobId };
      }
    }
    await sleep(50);
  }
  return null;
}

beforeAll(async () => {
  if (HAVE_REDIS) redis = await startRedis();
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_REDIS)('compare --queue with worker.ts processes', () => {
  it("trains every run once, survives a SIGKILLed and a SIGTERMed worker, and reports the local run's losses", async () => {
    const local = await runCompare({
      config: 'tinystories-tiny',
      suite: 'continual',
      steps: STEPS,
      jobs: 2,
      outDir: join(tmp, 'local'),
      sets: TINY,
      backend: 'cpu',
      log: () => {},
    }); // also prepares the data both modes read
    const a = startWorker('a');
    const b = startWorker('b');
    let finished = false;
    const coordinator = runQueuedCompare({
      queueUrl: redis.url,
      suite: SUITES.continual,
      config: 'tinystories-tiny',
      steps: STEPS,
      outDir: join(tmp, 'queued'),
      sets: TINY,
      graceSec: 10,
      pollSec: 0.2,
      log: () => {},
    }).finally(() => (finished = true));

    const killed = await stopMidRun(a, 'SIGKILL', () => finished);
    expect(killed).not.toBeNull();
    const c = startWorker('c');
    const termed = await stopMidRun(c, 'SIGTERM', () => finished);
    expect(termed).not.toBeNull();
    expect(await c.exit).toBe(143);
    expect(c.out).toContain(`${termed!.runId} (${termed!.jobId}) returned to the queue at step`);
    const { summaries, views } = await coordinator;

    // Every run done, each finished exactly once (nothing run twice to the end), the stopped ones elsewhere.
    const runs = plannedRunCount(SUITES.continual); // 10: the constant grid, MetaOptimize and the tuning-free group
    expect(views.map((v) => v.state)).toEqual(Array(runs).fill('done'));
    const finishedLines = [a, b, c].flatMap((w) => lines(w, /\) finished at step 30$/));
    expect(finishedLines).toHaveLength(runs);
    for (const v of views)
      expect(
        finishedLines.filter((l) => l.includes(`(${v.jobId})`)),
        v.runId,
      ).toHaveLength(1);
    expect(lines(a, /finished at step/).some((l) => l.includes(killed!.jobId))).toBe(false);
    expect(lines(c, /finished at step/).some((l) => l.includes(termed!.jobId))).toBe(false);
    // The retries resumed from the shared folder's checkpoint instead of starting over.
    const resumedLines = [b, c].flatMap((w) => lines(w, /resumed at step/));
    for (const stopped of [killed!, termed!])
      expect(
        resumedLines.some((l) => l.includes(`(${stopped.jobId}) resumed at step`)),
        stopped.runId,
      ).toBe(true);

    // Same losses as the local --jobs run, step by step (the resumed runs included), and the same report.
    for (const s of summaries) {
      const strip = (rows: ReturnType<typeof readMetrics>) =>
        rows.map((r) => [r.step, r.loss, r.valLoss, r.trainLoss, r.tokens, r.lr]);
      expect(strip(readMetrics(s.dir)), s.spec.id).toEqual(strip(readMetrics(join(tmp, 'local', 'runs', s.spec.id))));
    }
    const wallSec = CSV_COLUMNS.indexOf('wallSec');
    // The worker's own summary of each run agrees with the report's numbers.
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      for (const s of summaries) {
        const result = (await queue.getJob(views.find((v) => v.runId === s.spec.id)!.jobId!))!.returnvalue;
        expect(result.summary, s.spec.id).toMatchObject({
          finalValLoss: s.finalValLoss,
          bestValLoss: s.bestValLoss,
          finalTrainLoss: s.finalTrainLoss,
          tokens: s.tokens,
        });
      }
    } finally {
      await queue.close();
    }
    const noTimes = (csv: string) =>
      csv.split('\n').map((row) =>
        row
          .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
          .filter((_, i) => i !== wallSec)
          .join(','),
      );
    expect(noTimes(readFileSync(join(tmp, 'queued', 'runs.csv'), 'utf8'))).toEqual(
      noTimes(readFileSync(join(tmp, 'local', 'runs.csv'), 'utf8')),
    );
    const noDurations = (md: string) =>
      md.replace(/\b\d+(h \d{2}m|m \d{2}s|s)\b/g, 'T').replace(/[\d.]+× less wall time/, 'N× less wall time');
    expect(noDurations(readFileSync(join(tmp, 'queued', 'report.md'), 'utf8'))).toBe(
      noDurations(readFileSync(join(tmp, 'local', 'report.md'), 'utf8')),
    );
    expect(local.plots).toEqual((await coordinator).plots);

    // Running the coordinator again (elsewhere: a fresh folder) attaches: every run is done at once, nothing
    // is trained again, and the report is the same; --status prints the same table.
    const again = await runQueuedCompare({
      queueUrl: redis.url,
      suite: SUITES.continual,
      config: 'tinystories-tiny',
      steps: STEPS,
      outDir: join(tmp, 'again'),
      sets: TINY,
      graceSec: 10,
      log: () => {},
    });
    expect(again.views.map((v) => v.state)).toEqual(Array(runs).fill('done'));
    expect(readFileSync(join(tmp, 'again', 'runs.csv'), 'utf8')).toBe(
      readFileSync(join(tmp, 'queued', 'runs.csv'), 'utf8'),
    );
    const table: string[] = [];
    await runQueuedCompare({
      queueUrl: redis.url,
      suite: SUITES.continual,
      config: 'tinystories-tiny',
      steps: STEPS,
      outDir: join(tmp, 'status'),
      sets: TINY,
      graceSec: 10,
      statusOnly: true,
      log: (text) => table.push(text),
    });
    expect(table).toHaveLength(1);
    expect(
      table[0]
        .split('\n')
        .slice(1, 1 + runs)
        .map((row) => row.split(/\s+/).slice(0, 2)),
    ).toEqual(views.map((v) => [v.runId, 'done']));
    expect(table[0]).toMatch(new RegExp(`\n${runs} done · 0 running · 0 queued · 0 failed$`));
    expect([a, b, c].flatMap((w) => lines(w, /\) (started|resumed)/))).toHaveLength(runs + 2);
  }, 600_000);

  it("fails a diverging run with train.ts's message, without retrying it (unless --retry-failed), while the other run finishes", async () => {
    const suite = { ...SUITES.continual, adamwConstant: [3e-4, 1e39], variants: [], tuningFree: [] };
    const { summaries, views } = await runQueuedCompare({
      queueUrl: redis.url,
      suite,
      config: 'tinystories-tiny',
      steps: 8,
      outDir: join(tmp, 'diverging'),
      sets: TINY,
      graceSec: 10,
      pollSec: 0.2,
      log: () => {},
    });
    expect(views.map((v) => [v.runId, v.state])).toEqual([
      ['adamw-lr3e-4', 'done'],
      ['adamw-lr1e39', 'failed'],
    ]);
    expect(views[1].error).toMatch(/^TrainingError: loss is NaN at step 2; stopping .*\nhint: lower optimizer\.lr/);
    expect(summaries.map((s) => s.status)).toEqual(['done', 'failed']);
    expect(readFileSync(join(tmp, 'diverging', 'runs.csv'), 'utf8')).toMatch(
      /\nadamw-lr1e39,,adamw-constant,.*,failed,true,/,
    );
    const failedLines = () =>
      workers.flatMap((w) => lines(w, new RegExp(`\\(${views[1].jobId}\\) FAILED: TrainingError: loss is NaN`)));
    expect(failedLines()).toHaveLength(1); // UnrecoverableError: not retried
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      expect(await (await queue.getJob(views[1].jobId!))!.getState()).toBe('failed');
    } finally {
      await queue.close();
    }
    // Submitting again keeps the failure; --retry-failed queues the run once more (it fails the same way).
    const again = await runQueuedCompare({
      queueUrl: redis.url,
      suite,
      config: 'tinystories-tiny',
      steps: 8,
      outDir: join(tmp, 'diverging'),
      sets: TINY,
      graceSec: 10,
      pollSec: 0.2,
      log: () => {},
    });
    expect(again.views.map((v) => v.state)).toEqual(['done', 'failed']);
    expect(failedLines()).toHaveLength(1);
    const retried = await runQueuedCompare({
      queueUrl: redis.url,
      suite,
      config: 'tinystories-tiny',
      steps: 8,
      outDir: join(tmp, 'diverging'),
      sets: TINY,
      graceSec: 10,
      pollSec: 0.2,
      retryFailed: true,
      log: () => {},
    });
    expect(retried.views.map((v) => v.state)).toEqual(['done', 'failed']);
    expect(failedLines()).toHaveLength(2);
  }, 300_000);
});
