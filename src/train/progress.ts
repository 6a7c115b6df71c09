// The training progress display: a live status line on a terminal (step, loss, lr, tokens/s, ETA), and
// one plain line per log interval (like nanoGPT's `iter N: loss ...`) so logs read well when piped.
import { formatDuration, formatLr, formatRate } from '../util/format.js';

export interface ProgressStatus {
  step: number;
  maxSteps: number;
  loss: number | null;
  lr: number[];
  tokensPerSec: number;
  etaSec: number;
}

export class Progress {
  private live = process.stderr.isTTY === true;
  private lastLen = 0;

  constructor(private blockNames: string[]) {}

  line(s: ProgressStatus): string {
    const lr = s.lr.length === 1 ? formatLr(s.lr[0]) : `[${s.lr.map(formatLr).join(' ')}]`;
    const loss = s.loss === null ? '   -   ' : s.loss.toFixed(4);
    return `step ${String(s.step).padStart(String(s.maxSteps).length)}/${s.maxSteps} | loss ${loss} | ` +
      `${s.lr.length === 1 ? 'lr' : `lr(${this.blockNames.length})`} ${lr} | ${formatRate(s.tokensPerSec)} tok/s | ETA ${formatDuration(s.etaSec)}`;
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
