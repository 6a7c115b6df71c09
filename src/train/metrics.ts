// metrics.jsonl: one JSON object per logged step (step, loss, lr, learned, tokensPerSec, elapsedSec, tokens; eval
// rows add trainLoss and valLoss). On resume, rows after the checkpoint's step are dropped so that the
// file reads exactly as if the run had never stopped.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { TrainingError } from '../util/errors.js';

export interface MetricsRow {
  step: number;
  loss?: number;
  /** The step size used: lr, MetaOptimize's per-block step sizes, or a learning-rate-free method's effective step (d·lr, eta, Σs·lr). */
  lr?: number | number[];
  /** Learning-rate-free methods: the learned scalar(s) after the step, by name (prodigy/dadapt-adam d, dog eta, mechanic s, schedulefree-adamw c). */
  learned?: Record<string, number>;
  tokensPerSec?: number;
  elapsedSec: number;
  tokens: number;
  trainLoss?: number;
  valLoss?: number;
  gradNorm?: number;
}

export class MetricsLog {
  constructor(readonly path: string) {}

  /**
   * Keeps rows up to and including `step` (resume), or none (a fresh run). A last line cut short (the run was
   * killed while appending it) is dropped; a damaged line before it is a TrainingError naming the line.
   */
  truncateAfter(step: number | null): void {
    if (step === null || !existsSync(this.path)) {
      writeFileAtomic(this.path, '');
      return;
    }
    const kept = readMetrics(this.path, { dropPartialLast: true }).filter((row) => row.step <= step);
    writeFileAtomic(this.path, kept.map((row) => JSON.stringify(row) + '\n').join(''));
  }

  append(row: MetricsRow): void {
    appendFileSync(this.path, JSON.stringify(row) + '\n');
  }
}

export function readMetrics(path: string, opts: { dropPartialLast?: boolean } = {}): MetricsRow[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const rows: MetricsRow[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line) as MetricsRow);
    } catch {
      // every complete row ends with a newline: a last line without one was cut short by a kill
      if (opts.dropPartialLast && i === lines.length - 1 && !text.endsWith('\n')) return;
      throw new TrainingError(
        `${path} line ${i + 1} is not a JSON metrics row: ${JSON.stringify(line.slice(0, 80))}`,
        'the file was edited or damaged; delete that line (or the file, to start the metrics over)',
      );
    }
  });
  return rows;
}
