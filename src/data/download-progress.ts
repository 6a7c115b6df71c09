// Byte progress of a download: a cli-progress bar (bytes, rate, ETA) when stderr is a terminal, otherwise
// one log line every few seconds (CI logs, pipes), so long downloads never look stuck.
import { SingleBar } from 'cli-progress';
import { formatBytes } from '../util/format.js';

export interface ByteProgress {
  update(done: number): void;
  stop(): void;
}

export interface ByteProgressOptions {
  /** Where the bar goes; a bar is drawn only when this is a TTY (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Where the periodic lines go when `stream` is not a TTY (default: written to `stream`). */
  log?: (line: string) => void;
  /** Seconds between periodic lines (default 10). */
  everySec?: number;
}

/** A progress display for one file of `total` bytes, starting at `start` (a resumed download). */
export function createByteProgress(name: string, total: number, start: number, opts: ByteProgressOptions = {}): ByteProgress {
  const stream = opts.stream ?? process.stderr;
  const intervalMs = (opts.everySec ?? 10) * 1000;
  const write = opts.log ?? ((line: string) => stream.write(`${line}\n`));
  const t0 = Date.now();
  const rate = (done: number) => (done - start) / Math.max(1e-3, (Date.now() - t0) / 1000);
  const eta = (done: number) => {
    const r = rate(done);
    return r > 0 ? formatSeconds((total - done) / r) : '?';
  };
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream, hideCursor: true, barsize: 30,
      format: `${name} [{bar}] {percentage}% | {doneBytes}/{totalBytes} | {rate}/s | ETA {etaText}`,
    });
    bar.start(total, start, { doneBytes: formatBytes(start), totalBytes: formatBytes(total), rate: '-', etaText: '?' });
    return {
      update: (done) => bar.update(done, { doneBytes: formatBytes(done), rate: formatBytes(rate(done)), etaText: eta(done) }),
      stop: () => bar.stop(),
    };
  }
  let last = t0;
  const line = (done: number) =>
    write(`${name}: ${formatBytes(done)}/${formatBytes(total)} (${((100 * done) / Math.max(1, total)).toFixed(1)}%), ` +
      `${formatBytes(rate(done))}/s, ETA ${eta(done)}`);
  if (start > 0) write(`${name}: resuming at ${formatBytes(start)}/${formatBytes(total)}`);
  let latest = start;
  return {
    update: (done) => {
      latest = done;
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        line(done);
      }
    },
    stop: () => {
      if (latest >= total) write(`${name}: ${formatBytes(total)} done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    },
  };
}

/** 42 -> '42s', 750 -> '12m30s', 7300 -> '2h01m'. */
export function formatSeconds(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
