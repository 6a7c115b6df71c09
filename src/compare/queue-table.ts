// The coordinator's live table of queued runs: state (queued / running / done / failed), the worker,
// step, loss and tokens per second of each run, one line per run.
import { formatDuration } from './progress.js';

export interface RunView {
  runId: string;
  jobId: string | null;
  state: 'queued' | 'running' | 'done' | 'failed' | 'not submitted';
  worker?: string;
  step?: number;
  loss?: number | null;
  tokensPerSec?: number | null;
  /** A failed run's error (train.ts's message, or why its config did not resolve). */
  error?: string;
  /** Failed for good in this coordinator (no --retry-failed pending). */
  final?: boolean;
  retried?: boolean;
}

/**
 * `run  state  worker  step  loss  tok/s` rows and a summary line; `pending` counts MetaOptimize runs
 * not yet planned (they wait for the constant grids).
 */
export function renderTable(views: RunView[], steps: number, pending: number, elapsedSec?: number): string {
  const rows = views.map((v) => [
    v.runId,
    v.state,
    v.worker ?? '',
    v.step !== undefined ? `${v.step}/${steps}` : '',
    typeof v.loss === 'number' ? v.loss.toFixed(4) : '',
    typeof v.tokensPerSec === 'number' ? `${Math.round(v.tokensPerSec)}` : '',
    v.state === 'failed' ? (v.error ?? '').split('\n')[0].slice(0, 100) : '',
  ]);
  const head = ['run', 'state', 'worker', 'step', 'loss', 'tok/s', 'error'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const count = (s: RunView['state']) => views.filter((v) => v.state === s).length;
  const summary = [
    `${count('done')} done`,
    `${count('running')} running`,
    `${count('queued')} queued`,
    `${count('failed')} failed`,
  ];
  if (pending) summary.push(`${pending} MetaOptimize runs after the constant grids`);
  if (elapsedSec !== undefined) summary.push(formatDuration(elapsedSec));
  return [line(head), ...rows.map(line), summary.join(' · ')].join('\n');
}
