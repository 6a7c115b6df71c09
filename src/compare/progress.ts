// The suite's overall progress line: runs done/total, the step and loss of each running run (read from
// the tail of its metrics.jsonl), and an ETA from the suite's aggregate steps per second.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointStep } from './runs.js';

interface Running {
  dir: string;
  startStep: number;
  step: number;
  loss: number | null;
}

export type ProgressLog = (line: string, transient: boolean) => void;

export class SuiteProgress {
  private done = 0;
  private failed = 0;
  private stepsAdvanced = 0;
  private runningRuns = new Map<string, Running>();
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private lastPrinted = 0;

  constructor(
    private steps: number,
    private total: number,
    private log: ProgressLog = defaultLog,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.log(this.line(), false);
  }

  skipped(id: string): void {
    this.done++;
    this.log(`compare: ${id} already finished, skipped`, false);
  }

  started(id: string, dir: string): void {
    const step = checkpointStep(dir) ?? 0;
    this.runningRuns.set(id, { dir, startStep: step, step, loss: null });
    this.log(`compare: ${id} ${step > 0 ? `resumed at step ${step}` : 'started'}`, false);
  }

  finished(id: string, status: 'done' | 'failed' | 'interrupted'): void {
    const ok = status === 'done';
    const run = this.runningRuns.get(id);
    if (run) {
      this.refresh(run);
      this.stepsAdvanced += Math.max(0, run.step - run.startStep);
    }
    this.runningRuns.delete(id);
    this.done++;
    if (!ok) this.failed++;
    const what = ok
      ? 'finished'
      : status === 'interrupted'
        ? 'interrupted (resumed by the next compare)'
        : `FAILED (see logs/${id}.log)`;
    this.log(`compare: ${id} ${what} · ${this.line()}`, false);
  }

  running(): number {
    return this.runningRuns.size;
  }

  /** `runs 5/16 (1 failed) · adamw-lr1e-3 120/150 loss 3.21 · ETA 12m 30s`. */
  line(): string {
    const parts = [`runs ${this.done}/${this.total}${this.failed ? ` (${this.failed} failed)` : ''}`];
    for (const [id, r] of this.runningRuns)
      parts.push(`${id} ${r.step}/${this.steps}${r.loss !== null ? ` loss ${r.loss.toFixed(3)}` : ''}`);
    const eta = this.etaSec();
    parts.push(`ETA ${eta === null ? '?' : formatDuration(eta)}`);
    return parts.join(' · ');
  }

  /** Remaining steps over the aggregate rate so far (all parallel runs together). */
  etaSec(): number | null {
    let advanced = this.stepsAdvanced;
    let remaining = Math.max(0, this.total - this.done - this.runningRuns.size) * this.steps;
    for (const r of this.runningRuns.values()) {
      advanced += Math.max(0, r.step - r.startStep);
      remaining += Math.max(0, this.steps - r.step);
    }
    const elapsed = (Date.now() - this.startedAt) / 1000;
    if (advanced <= 0 || elapsed <= 0) return null;
    return remaining / (advanced / elapsed);
  }

  private tick(): void {
    for (const r of this.runningRuns.values()) this.refresh(r);
    const tty = process.stderr.isTTY;
    if (tty || Date.now() - this.lastPrinted > 30_000) {
      this.lastPrinted = Date.now();
      this.log(this.line(), true);
    }
  }

  private refresh(run: Running): void {
    const row = lastRow(join(run.dir, 'metrics.jsonl'));
    if (row && typeof row.step === 'number') {
      run.step = row.step;
      if (typeof row.loss === 'number') run.loss = row.loss;
    }
  }
}

function defaultLog(line: string, transient: boolean): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}${transient ? '' : '\n'}`);
  else process.stderr.write(`${line}\n`);
}

/** The last complete JSON line of a file, reading only its last 8 KiB. */
export function lastRow(path: string): { step?: number; loss?: number; tokensPerSec?: number } | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 8192);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim());
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]);
      } catch {
        // a torn line being written, or the cut start of the window
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
