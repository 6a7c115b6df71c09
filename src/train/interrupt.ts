// Ctrl-C and SIGTERM for train.ts. The first SIGINT or SIGTERM asks the loop to finish its step and save a
// checkpoint; the entry script then exits 130 (SIGINT) or 143 (SIGTERM). A second one quits at once with the same
// code, keeping the previous checkpoint (checkpoints are written atomically, so none is ever half-written).
// Under the tsx CLI (`npx tsx train.ts`) the script reruns itself in a child first (superviseUnderTsx): tsx
// SIGKILLs a child that does not answer a signal within 60 ms, and a training step can take longer than that.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export type StopSignalName = 'SIGINT' | 'SIGTERM';

/** Read by the training loop after every step; set by a signal (or by a test). */
export interface StopSignal {
  stop: boolean;
  signal?: StopSignalName;
}

/** The exit status of a process stopped by `signal` (shells' convention: 128 + the signal number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

export interface InterruptHandlers {
  stopSignal: StopSignal;
  /** 130 or 143 once a signal asked the run to stop, else undefined. */
  exitCode(): number | undefined;
  dispose(): void;
}

/**
 * Installs the SIGINT/SIGTERM handlers of a training run. `describeKept` says which checkpoint survives a second
 * signal (printed before quitting). A parent that started this process with an IPC channel and goes away counts as
 * a SIGTERM, so an orphaned run saves and stops instead of training on unseen.
 */
export function installInterruptHandlers(
  describeKept: () => string,
  print: (line: string) => void = (l) => console.error(l),
): InterruptHandlers {
  const stopSignal: StopSignal = { stop: false };
  const label = (signal: StopSignalName) => (signal === 'SIGINT' ? 'Ctrl-C' : signal);
  const onSignal = (signal: StopSignalName) => {
    const first = stopSignal.signal;
    if (stopSignal.stop) {
      print(
        `${newline()}${label(signal)} ${first === signal ? 'again' : `after ${label(first ?? signal)}`}: quitting without saving; ${describeKept()}`,
      );
      process.exit(signalExitCode(first ?? signal));
    }
    stopSignal.stop = true;
    stopSignal.signal = signal;
    print(
      `${newline()}${label(signal)}: stopping after this step and saving a checkpoint ` +
        `(${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} quits without saving)`,
    );
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  const onDisconnect = () => {
    if (!stopSignal.stop) onSignal('SIGTERM');
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  if (process.channel) {
    process.channel.unref(); // the channel alone must not keep the run alive
    process.on('disconnect', onDisconnect);
  }
  return {
    stopSignal,
    exitCode: () => (stopSignal.signal ? signalExitCode(stopSignal.signal) : undefined),
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('disconnect', onDisconnect);
    },
  };
}

/** On a terminal the progress line has no newline yet (train/progress.ts). */
const newline = () => (process.stderr.isTTY ? '\n' : '');

/**
 * tsx's CLI serves its child on `<tmpdir>/tsx-<uid>/<its pid>.pipe` (tsx 4 client.cjs); finding that file for our
 * parent means we run under `tsx train.ts`, whose signal relay would SIGKILL a busy child.
 */
function parentIsTsxCli(): boolean {
  const uid = process.geteuid ? process.geteuid() : userInfo().username;
  return process.platform !== 'win32' && existsSync(join(tmpdir(), `tsx-${uid}`, `${process.ppid}.pipe`));
}

/** Copies of one keypress arrive this close together (npx forwards Ctrl-C to tsx, which also gets it, and relays both). */
const SAME_SIGNAL_MS = 250;
/** After a second signal, a child still inside a long step (it sees signals only between steps) is killed after this. */
const ABORT_GRACE_MS = 1000;

/**
 * Under the tsx CLI: runs this same script in a child (same node flags and arguments, its own process group, so a
 * terminal's Ctrl-C reaches it once, through us), relays SIGINT/SIGTERM to it, and returns its exit code. This
 * process stays idle, so it answers tsx's signal relay at once. Elsewhere returns null: the caller trains itself.
 */
export async function superviseUnderTsx(): Promise<number | null> {
  if (!parentIsTsxCli()) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  let last = -Infinity,
    first: StopSignalName | undefined,
    forced = false;
  const relay = (signal: StopSignalName) => {
    const now = performance.now();
    if (now - last < SAME_SIGNAL_MS) return;
    last = now;
    child.kill(signal);
    if (!first) return void (first = signal);
    // The second one: the child quits at its next yield; one stuck in a long step is killed (checkpoints are
    // written atomically, so the last saved one stays intact).
    setTimeout(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      forced = true;
      console.error(
        'quitting without saving (the run was inside a long step); the checkpoints it saved before, if any, are kept',
      );
      child.kill('SIGKILL');
    }, ABORT_GRACE_MS).unref();
  };
  const onInt = () => relay('SIGINT');
  const onTerm = () => relay('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        resolve(forced && first ? signalExitCode(first) : (code ?? signalExitCode(signal ?? 'SIGKILL'))),
      );
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
