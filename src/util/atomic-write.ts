// Atomic writes: write to a temporary name in the same folder, then rename, so a crash never leaves a
// half-written file (or folder) that a later run would trust.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
}

/** Writes a whole file atomically. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Builds a folder atomically: `fill` writes into a fresh temporary folder, which then replaces `path`
 * (the old folder is moved aside first and removed only after the rename succeeded).
 */
export function writeDirAtomic(path: string, fill: (tmpDir: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = existsSync(path) ? `${tmp}.old` : null;
  if (old) renameSync(path, old);
  renameSync(tmp, path);
  if (old) rmSync(old, { recursive: true, force: true });
}

/**
 * Removes temporary files or folders in `parent` named `<prefix><pid>...` whose process is gone (left by
 * a run that died mid-write; never trusted, only wasted disk). Temps of live processes are kept.
 */
export function removeStaleTemps(parent: string, prefix: string): void {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (pid !== process.pid && !processAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** Whether process `pid` exists on this machine (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
