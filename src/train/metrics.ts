// metrics.jsonl: one JSON object per logged step (step, loss, lr, learned, tokensPerSec, elapsedSec, tokens; eval
// rows add trainLoss and valLoss). On resume, rows after the checkpoint's step are dropped so that the
// file reads exactly as if the run had never stopped.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';

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

  /** Keeps rows up to and including `step` (resume), or none (a fresh run). */
  truncateAfter(step: number | null): void {
    if (step === null || !existsSync(this.path)) {
      writeFileAtomic(this.path, '');
      return;
    }
    const kept = readMetrics(this.path).filter((row) => row.step <= step);
    writeFileAtomic(this.path, kept.map((row) => JSON.stringify(row) + '\n').join(''));
  }

  append(row: MetricsRow): void {
    appendFileSync(this.path, JSON.stringify(row) + '\n');
  }
}

export function readMetrics(path: string): MetricsRow[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as MetricsRow);
}
