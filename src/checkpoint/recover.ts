// A run folder after a crash or a kill: writeDirAtomic (util/atomic-write.ts) moves the old checkpoint to
// `.checkpoint.tmp-<pid>-<time>.old` before renaming the new one into place, so a kill between the two renames
// leaves no `checkpoint/` but a good checkpoint under that name. recoverRunFolder puts it back, removes temporaries
// of dead processes, and refuses to let --resume start over a checkpoint folder it cannot read.
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../util/errors.js';
import { processAlive, removeStaleTemps } from '../util/atomic-write.js';

/** The step of the checkpoint in `dir`, or null when it has no readable state.json. */
export function checkpointStep(dir: string): number | null {
  try {
    const step = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { step?: unknown }).step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

/** Both weight files of a checkpoint folder are there: it can be resumed (a copy may keep state.json only). */
export function hasCheckpointWeights(dir: string): boolean {
  return ['model.safetensors', 'optimizer.safetensors'].every((f) => existsSync(join(dir, f)));
}

/** What survives a failure: "the checkpoint of step N in DIR is kept", or that none was saved yet. */
export function describeKeptCheckpoint(dir: string): string {
  const step = checkpointStep(dir);
  return step === null
    ? `no checkpoint has been saved in ${dir} yet`
    : `the checkpoint of step ${step} in ${dir} is kept`;
}

/**
 * Before a run uses `outDir`: restores a checkpoint stranded in `.checkpoint.tmp-*.old` when `checkpoint/` is gone,
 * removes temporary files and folders of dead processes, and (with resume) refuses a `checkpoint/` folder without
 * state.json instead of starting fresh over it.
 */
export function recoverRunFolder(outDir: string, resume: boolean, log: (line: string) => void): void {
  const ckptDir = join(outDir, 'checkpoint');
  const prefix = `.${basename(ckptDir)}.tmp-`;
  if (existsSync(outDir) && !existsSync(ckptDir)) {
    const stranded = readdirSync(outDir)
      .filter(
        (name) =>
          name.startsWith(prefix) &&
          name.endsWith('.old') &&
          !processAlive(Number.parseInt(name.slice(prefix.length), 10)),
      )
      .filter((name) => checkpointStep(join(outDir, name)) !== null)
      .sort((a, b) => checkpointStep(join(outDir, b))! - checkpointStep(join(outDir, a))!);
    if (stranded.length) {
      renameSync(join(outDir, stranded[0]), ckptDir);
      log(
        `recovered the checkpoint of step ${checkpointStep(ckptDir)} from ${join(outDir, stranded[0])} ` +
          '(a run was stopped while replacing it) -> ' +
          ckptDir,
      );
    }
  }
  for (const name of ['checkpoint', 'config.json', 'metrics.jsonl']) removeStaleTemps(outDir, `.${name}.tmp-`);
  if (resume && existsSync(ckptDir) && checkpointStep(ckptDir) === null)
    throw new CheckpointError(
      `${ckptDir} exists but has no readable state.json, so --resume cannot continue it`,
      `move the folder away to start fresh (mv ${ckptDir} ${join(dirname(ckptDir), 'checkpoint.broken')}), or resume from a copy that has its state.json`,
    );
}
