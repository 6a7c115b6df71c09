// The training progress display: a live status line on a terminal (step, loss, lr, tokens/s, ETA), and
// one plain line per log interval (like nanoGPT's `iter N: loss ...`) so logs read well when piped.
import { formatDuration, formatLr, formatRate } from '../util/format.js';

export interface ProgressStatus {
  step: number;
  maxSteps: number;
  loss: number | null;
  lr: number[];
  /** Learning-rate-free methods: the learned scalars (d, eta, s), shown after the step size. */
  learned?: Record<string, number>;
  tokensPerSec: number;
  etaSec: number;
}

export class Progress {
  private live = process.stderr.isTTY === true;
  private lastLen = 0;

  constructor(readonly blockNames: string[]) {}

  line(s: ProgressStatus): string {
    const loss = s.loss === null ? '   -   ' : s.loss.toFixed(4);
    return (
      `step ${String(s.step).padStart(String(s.maxSteps).length)}/${s.maxSteps} | loss ${loss} | ` +
      `${this.formatStepSizes(s.lr)}${formatLearned(s.learned)} | ${formatRate(s.tokensPerSec)} tok/s | ETA ${formatDuration(s.etaSec)}`
    );
  }

  /** One lr, a few per-block step sizes, or the range over many blocks (layerwise MetaOptimize). */
  private formatStepSizes(lr: number[]): string {
    if (lr.length === 1) return `lr ${formatLr(lr[0])}`;
    if (lr.length <= 4) return `lr [${lr.map(formatLr).join(' ')}]`;
    const sorted = [...lr].sort((a, b) => a - b);
    return `lr ${formatLr(sorted[0])}..${formatLr(sorted[sorted.length - 1])} (median ${formatLr(sorted[sorted.length >> 1])}, ${lr.length} blocks)`;
  }

  /** Redraws the live line (terminals only). */
  update(s: ProgressStatus): void {
    if (!this.live) return;
    const text = this.line(s);
    process.stderr.write('\r' + text + ' '.repeat(Math.max(0, this.lastLen - text.length)));
    this.lastLen = text.length;
  }

  /** Prints a permanent line (log rows, evals, checkpoints). */
  print(text: string): void {
    if (this.live && this.lastLen) process.stderr.write('\r' + ' '.repeat(this.lastLen) + '\r');
    this.lastLen = 0;
    console.log(text);
  }
}

/** Tokens per second over windows of at least a second (or up to a log step), and the ETA it gives. */
export class Throughput {
  private windowStart = performance.now();
  private windowTokens = 0;
  /** The last window's rate. */
  tokensPerSec = 0;

  /** Counts a step's tokens; closes the window when a second has passed or `log` is set. */
  add(tokens: number, log: boolean): void {
    this.windowTokens += tokens;
    const now = performance.now();
    if (now - this.windowStart > 1000 || log) {
      this.tokensPerSec = (this.windowTokens / (now - this.windowStart)) * 1000;
      this.windowStart = now;
      this.windowTokens = 0;
    }
  }

  /** Seconds until `tokensLeft` more tokens at the current rate. */
  etaSec(tokensLeft: number): number {
    return tokensLeft / Math.max(this.tokensPerSec, 1e-9);
  }
}

/** ` (d 8.70e-1)`: the learned scalars of a learning-rate-free method, or nothing. */
function formatLearned(learned: Record<string, number> | undefined): string {
  if (!learned) return '';
  const parts = Object.entries(learned).map(([k, v]) => `${k} ${formatLr(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
