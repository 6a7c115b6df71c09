// One run per run folder: `<outDir>/.lock` holds the pid and host of the run using it, created with O_EXCL so two
// runs cannot both take it. A lock whose process is gone (same host) is taken over with a message; a lock from a
// live process, or from another host (whose processes we cannot see), refuses the second run.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TrainingError } from '../util/errors.js';
import { processAlive } from '../util/atomic-write.js';

export interface RunLock {
  path: string;
  /** Removes the lock if it is still ours (also done at process exit). */
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? (info as LockInfo) : null;
  } catch {
    return null; // unreadable or half-written: the writer died before finishing it
  }
}

/** Takes `<outDir>/.lock` for this process, or throws a TrainingError naming the run that holds it. */
export function lockRunFolder(outDir: string, log: (line: string) => void): RunLock {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, '.lock');
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const held = readLock(path);
      if (held && (held.host !== mine.host || processAlive(held.pid)))
        throw new TrainingError(
          `${outDir} is in use by another run (pid ${held.pid} on ${held.host}, started ${held.started})`,
          held.host === mine.host
            ? `wait for it to finish, stop it (kill -INT ${held.pid}), or train into another folder with --out`
            : `if that run is gone, delete ${path}; or train into another folder with --out`,
        );
      log(
        held
          ? `note: taking over ${path} from process ${held.pid}, which is no longer running`
          : `note: replacing the unreadable lock ${path}`,
      );
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(mine) + '\n');
    closeSync(fd);
    const release = () => {
      const now = readLock(path);
      if (now && now.pid === mine.pid && now.host === mine.host && now.started === mine.started)
        rmSync(path, { force: true });
      process.off('exit', release);
    };
    process.on('exit', release); // a second Ctrl-C exits at once; the lock goes with it
    return { path, release };
  }
}
