// The sweep queue shared by compare.ts --queue (coordinator) and worker.ts: one BullMQ queue on Redis,
// one job per training run, its id a hash of the run's resolved config (docs.bullmq.io: job ids, retries,
// stalled jobs). Also the Redis connection with a reconnect grace period and URLs with passwords hidden.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigError, QueueError } from '../util/errors.js';

/** Every sweep uses this BullMQ queue; job ids keep runs of different suites apart. */
export const QUEUE_NAME = 'nanometa-runs';

/** What the coordinator puts in a job: the resolved config is all a worker needs to train the run. */
export interface RunJobData {
  /** The suite's run id (folder name in the suite's runs/), for tables and logs. */
  runId: string;
  /** The resolved config (train.ts's config.json without `run`). */
  config: Record<string, unknown>;
}

/** What a worker returns: everything the coordinator's report needs, so no disk has to be shared. */
export interface RunJobResult {
  runId: string;
  worker: string;
  /** The step of the run's final checkpoint. */
  step: number;
  /** The checkpoint step this attempt resumed from (0: trained from scratch). */
  resumedFrom: number;
  /** The run's final numbers, for readers of the queue (the coordinator's report recomputes them from `metrics`). */
  summary: {
    finalTrainLoss: number | null;
    finalValLoss: number | null;
    bestValLoss: number | null;
    tokens: number;
    elapsedSec: number;
  };
  /** metrics.jsonl as written by train.ts. */
  metrics: string;
  /** config.json as written by train.ts (with `run`). */
  config: Record<string, unknown>;
}

/** Live progress of a running job, as job.updateProgress receives it. */
export interface RunJobProgress {
  worker: string;
  step: number;
  loss: number | null;
  tokensPerSec: number | null;
}

/** Keys sorted at every level: the same config always gives the same text, hence the same job id. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** `run-<20 hex>`: sha256 of the canonical resolved config (BullMQ ids may not contain ':' nor be integers). */
export function runJobId(config: unknown): string {
  return `run-${createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 20)}`;
}

/** Checks a queue URL (redis:// or rediss://) and returns it; the error shows it with the password hidden. */
export function checkQueueUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `--queue ${hideUrlPassword(url)} is not a URL`,
      'use redis://[user:password@]host:port[/db] or rediss:// for TLS',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new ConfigError(
      `--queue ${hideUrlPassword(url)}: scheme must be redis:// or rediss://`,
      'e.g. --queue redis://localhost:6379',
    );
  return url;
}

/** The URL with its password replaced by `***` (for every message and log line). */
export function hideUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/**
 * A Redis connection for BullMQ (maxRetriesPerRequest: null, as BullMQ's workers require) that keeps
 * reconnecting while Redis is down; `lost` rejects with a QueueError naming the URL once Redis has been
 * unreachable for graceSec (at start-up too). ioredis reconnects by itself within the grace period.
 */
export class RedisLink {
  readonly redis: Redis;
  readonly lost: Promise<never>;
  private downSince: number | null = Date.now();
  private lastError = 'no answer';
  private timer: NodeJS.Timeout;
  private everReady = false;
  private closing = false;

  constructor(
    readonly url: string,
    readonly graceSec: number,
    private log: (line: string) => void = () => {},
  ) {
    checkQueueUrl(url);
    this.redis = new Redis(url, {
      maxRetriesPerRequest: null,
      disconnectTimeout: 200,
      retryStrategy: (times) => (this.closing ? null : Math.min(200 * times, 2000)),
    });
    // BullMQ's workers duplicate this connection (same options): after close() none of them reconnects.
    this.redis.on('error', (err: Error & { code?: string }) => this.down(err.code ?? err.message));
    this.redis.on('close', () => this.down(this.downSince === null ? 'connection closed' : this.lastError));
    this.redis.on('ready', () => {
      if (this.downSince !== null && this.everReady) this.log(`queue: reconnected to ${hideUrlPassword(url)}`);
      this.everReady = true;
      this.downSince = null;
    });
    let reject: (err: Error) => void = () => {};
    this.lost = new Promise<never>((_, rej) => (reject = rej));
    this.lost.catch(() => {}); // observed by whoever races it
    this.timer = setInterval(() => {
      if (this.downSince !== null && Date.now() - this.downSince > graceSec * 1000) {
        clearInterval(this.timer);
        reject(
          new QueueError(
            `cannot reach Redis at ${hideUrlPassword(url)} (${this.lastError}; tried for ${graceSec}s)`,
            'start Redis there (redis-server), or point --queue / NANOMETA_QUEUE at a running one',
          ),
        );
      }
    }, 250);
  }

  /** Resolves once connected; rejects as `lost` does. */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await Promise.race([new Promise<void>((resolve) => this.redis.once('ready', () => resolve())), this.lost]);
  }

  /** Runs `work`, stopping with the connection's error if Redis stays away past the grace period. */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.lost]);
  }

  close(): void {
    this.closing = true;
    clearInterval(this.timer);
    this.redis.disconnect();
  }

  private down(reason: string): void {
    if (this.closing) return;
    this.lastError = reason;
    if (this.downSince === null) {
      this.downSince = Date.now();
      this.log(`queue: lost ${hideUrlPassword(this.url)} (${reason}); reconnecting for up to ${this.graceSec}s`);
    }
  }
}
