// The sweep queue's small parts (job ids, hidden passwords, TLS URLs, train.ts error lines, the table), then
// with a real redis-server: a reconnect within the grace period, a worker that cannot train here, and both
// programs stopping with the URL (password hidden) and no stack trace when nothing answers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import {
  QUEUE_NAME,
  RedisLink,
  canonicalJson,
  checkQueueUrl,
  hideUrlPassword,
  runJobId,
} from '../../src/compare/queue.js';
import { renderTable } from '../../src/compare/queue-table.js';
import { errorLines } from '../../src/compare/queue-worker.js';
import { HAVE_REDIS, freePort, startRedis, type RedisServer } from './redis-server.js';

const REPO = join(import.meta.dirname, '..', '..');
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

/** With tfjs-node installed, --backend tensorflow would start (and this machine could train). */
function hasTensorflow(): boolean {
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'])
    try {
      createRequire(import.meta.url).resolve(name);
      return true;
    } catch {
      // not installed
    }
  return false;
}

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('queue basics', () => {
  it('derives one job id per resolved config, whatever the key order', () => {
    const a = { model: { nLayer: 2, nEmbd: 64 }, optimizer: { lr: 1e-3, betas: [0.9, 0.99] } };
    const b = { optimizer: { betas: [0.9, 0.99], lr: 1e-3 }, model: { nEmbd: 64, nLayer: 2 } };
    expect(canonicalJson(b)).toBe('{"model":{"nEmbd":64,"nLayer":2},"optimizer":{"betas":[0.9,0.99],"lr":0.001}}');
    expect(runJobId(a)).toBe(runJobId(b));
    expect(runJobId(a)).toMatch(/^run-[0-9a-f]{20}$/);
    expect(runJobId({ ...a, optimizer: { ...a.optimizer, lr: 3e-3 } })).not.toBe(runJobId(a));
  });

  it('hides passwords and accepts only redis:// and rediss://', () => {
    expect(hideUrlPassword('redis://user:secret@host:6380/2')).toBe('redis://user:***@host:6380/2');
    expect(hideUrlPassword('rediss://:secret@host:6380')).toBe('rediss://:***@host:6380');
    expect(hideUrlPassword('redis://host:6379')).toBe('redis://host:6379');
    const tls = new RedisLink('rediss://nano:secret@127.0.0.1:1/2', 60);
    tls.close();
    expect([!!tls.redis.options.tls, tls.redis.options.db, tls.redis.options.username]).toEqual([true, 2, 'nano']);
    expect(checkQueueUrl('rediss://h:1')).toBe('rediss://h:1');
    expect(() => checkQueueUrl('http://u:secret@h:1')).toThrow(
      /--queue http:\/\/u:\*\*\*@h:1: scheme must be redis:\/\/ or rediss:\/\//,
    );
    expect(() => checkQueueUrl('localhost:6379')).toThrow(/scheme must be redis/);
  });

  it("takes the failed run's message from the end of train.ts output", () => {
    const out = 'step 1/4 | loss 6.7\nTrainingError: loss is NaN at step 2; stopping\n  hint: lower optimizer.lr\n';
    expect(errorLines(out)).toBe('TrainingError: loss is NaN at step 2; stopping\nhint: lower optimizer.lr');
    expect(errorLines('no error here\n')).toBe('');
  });

  it('renders one table row per run', () => {
    const text = renderTable(
      [
        {
          runId: 'adamw-lr1e-3',
          jobId: 'run-1',
          state: 'running',
          worker: 'box:12',
          step: 12,
          loss: 3.21,
          tokensPerSec: 5120.4,
        },
        {
          runId: 'adamw-lr1e39',
          jobId: 'run-2',
          state: 'failed',
          worker: 'box:13',
          error: 'TrainingError: loss is NaN\nhint: x',
        },
        { runId: 'lion-lr1e-4', jobId: 'run-3', state: 'queued' },
      ],
      40,
      2,
    );
    expect(text.split('\n')).toEqual([
      'run           state    worker  step   loss    tok/s  error',
      'adamw-lr1e-3  running  box:12  12/40  3.2100  5120',
      'adamw-lr1e39  failed   box:13                        TrainingError: loss is NaN',
      'lion-lr1e-4   queued',
      '0 done · 1 running · 1 queued · 1 failed · 2 MetaOptimize runs after the constant grids',
    ]);
  });
});

describe.skipIf(!HAVE_REDIS)('with a real Redis', () => {
  it('reconnects when Redis comes back within the grace period', async () => {
    const first = await startRedis();
    servers.push(first);
    const link = new RedisLink(first.url, 60);
    let lost: unknown = null;
    link.lost.catch((err) => (lost = err));
    const queue = new Queue(QUEUE_NAME, { connection: link.redis });
    queue.on('error', () => {});
    try {
      await link.ready();
      await queue.add('a', { n: 1 }, { jobId: 'reconnect-a' });
      await first.stop();
      const again = await startRedis(first.port); // same port, empty (persistence off)
      servers.push(again);
      await link.guard(queue.add('b', { n: 2 }, { jobId: 'reconnect-b' })); // waits in ioredis's queue, then goes through
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
      expect(lost).toBeNull();
    } finally {
      await queue.close();
      link.close();
    }
  });

  it.skipIf(hasTensorflow())(
    'a worker that cannot start its backend returns the run to the queue and stops with the error',
    async () => {
      const server = await startRedis();
      servers.push(server);
      const config = JSON.parse(
        JSON.stringify(await resolveConfig({ config: 'tinystories-tiny', set: ['train.maxSteps=2'] })),
      );
      const jobId = runJobId(config);
      const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: server.port } });
      try {
        await queue.add('r', { runId: 'r', config }, { jobId });
        const runs = mkdtempSync(join(tmpdir(), 'nanometa-queue-runs-'));
        const r = await runScript(['worker.ts', '--queue', server.url, '--backend', 'tensorflow', '--runs', runs]);
        rmSync(runs, { recursive: true, force: true });
        expect(r.code).toBe(1);
        expect(r.stdout).toContain(`r (${jobId}) returned to the queue: BackendError: --backend tensorflow needs`);
        expect(r.stderr).toMatch(
          /^BackendError: train\.ts cannot run here: --backend tensorflow needs .*\n {2}hint: fix worker\.ts --backend/,
        );
        const job = (await queue.getJob(jobId))!;
        expect(await job.getState()).toBe('waiting'); // for another worker, not failed
        expect(job.attemptsMade).toBe(0);
      } finally {
        await queue.close();
      }
    },
  );

  it('worker.ts and compare.ts stop with the URL, password hidden, no stack trace, exit 1', async () => {
    const port = await freePort();
    const url = `redis://nano:secret@127.0.0.1:${port}`;
    const results = await Promise.all([
      runScript(['worker.ts', '--queue', url, '--grace-sec', '1']),
      runScript([
        'compare.ts',
        '--config',
        'tinystories-tiny',
        '--suite',
        'continual',
        '--steps',
        '4',
        '--queue',
        url,
        '--grace-sec',
        '1',
        '--status',
      ]),
    ]);
    for (const r of results) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `QueueError: cannot reach Redis at redis://nano:***@127.0.0.1:${port} (ECONNREFUSED; tried for 1s)`,
      );
      expect(r.stderr + r.stdout).not.toContain('secret');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
