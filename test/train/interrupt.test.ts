// Ctrl-C and SIGTERM on the real train.ts in a child process: the step finishes, a checkpoint is saved and named,
// the exit code is 130 (SIGINT) or 143 (SIGTERM), and --resume continues from it; a second Ctrl-C quits at once
// keeping the previous checkpoint. Started as `node --import tsx train.ts` (signal to the process) and as
// `npx tsx train.ts` (signal to its process group, as a terminal's Ctrl-C does).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalExitCode } from '../../src/train/interrupt.js';
import { REPO } from '../fixtures.js';
import { tempDir } from '../helpers.js';

let work: string;
let configPath: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  work = tempDir('nanometa-interrupt-');
  configPath = join(work, 'tiny.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 },
      data: {
        source: 'synthetic',
        syntheticStories: 200,
        tokenizer: 'compact',
        compactVocabSize: 64,
        cacheDir: join(work, 'data'),
      },
      optimizer: { lr: 3e-3 },
      train: {
        maxSteps: 1_000_000,
        batchSize: 4,
        evalInterval: 1_000_000,
        evalIters: 1,
        logInterval: 1,
        checkpointInterval: 4,
        seed: 7,
      },
    }),
  );
});
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

interface Run {
  child: ChildProcess;
  output: () => string;
  /** Resolves when a line of stdout/stderr matches. */
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
}

function start(how: 'node' | 'npx', args: string[], ipc = false): Run {
  const [cmd, pre] = how === 'node' ? [process.execPath, ['--import', 'tsx']] : ['npx', ['tsx']];
  const child = spawn(cmd, [...pre, 'train.ts', '--backend', 'cpu', '--config', configPath, ...args], {
    cwd: REPO,
    detached: how === 'npx',
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])],
  });
  children.push(child);
  let text = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) {
      const m = text.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // npx re-raises the signal on itself once its child is done: a shell reports that as 128 + the signal number
  // ('exit' and then the ends of stdout/stderr: 'close' also waits for an IPC channel, which an exit does not end)
  const ended = (s: NodeJS.ReadableStream & { readableEnded: boolean }) =>
    new Promise((r) => (s.readableEnded ? r(null) : s.once('end', r)));
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      void Promise.all([ended(child.stdout!), ended(child.stderr!)]).then(() =>
        resolve(code ?? (signal ? signalExitCode(signal) : null)),
      );
    }),
  );
  return {
    child,
    output: () => text,
    exit,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const m = text.match(pattern);
        if (m) return resolve(m);
        waiters.push({ pattern, resolve });
        void exit.then(() => reject(new Error(`train.ts exited before printing ${pattern}:\n${text}`)));
      }),
  };
}

const savedStep = (out: string) =>
  (JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')) as { step: number }).step;
const INTERRUPTED = /^interrupted at step (\d+): checkpoint saved to (.+) \(resume with --resume\)$/m;

describe('train.ts on SIGINT / SIGTERM', () => {
  it('Ctrl-C to the node process: finishes the step, saves, exits 130; --resume continues from that step', async () => {
    const out = join(work, 'int');
    const run = start('node', ['--out', out]);
    await run.waitFor(/^step +3\//m);
    run.child.kill('SIGINT');
    expect(await run.exit, run.output()).toBe(130);
    const [, step, dir] = run.output().match(INTERRUPTED)!;
    expect(Number(step)).toBeGreaterThanOrEqual(3);
    expect(dir).toBe(join(out, 'checkpoint'));
    expect(savedStep(out)).toBe(Number(step));
    expect(run.output()).toMatch(
      /^Ctrl-C: stopping after this step and saving a checkpoint \(Ctrl-C again quits without saving\)$/m,
    );

    const resumed = start('node', ['--out', out, '--resume', '--set', `train.maxSteps=${Number(step) + 2}`]);
    expect(await resumed.exit, resumed.output()).toBe(0);
    expect(resumed.output()).toContain(`resumed from ${join(out, 'checkpoint')} at step ${step}`);
    expect(savedStep(out)).toBe(Number(step) + 2);
  });

  it('SIGTERM: the same, with exit code 143', async () => {
    const out = join(work, 'term');
    const run = start('node', ['--out', out]);
    await run.waitFor(/^step +2\//m);
    run.child.kill('SIGTERM');
    expect(await run.exit, run.output()).toBe(143);
    expect(savedStep(out)).toBe(Number(run.output().match(INTERRUPTED)![1]));
  });

  it('Ctrl-C to the process group of `npx tsx train.ts` (a terminal): saves and exits 130', async () => {
    const out = join(work, 'group');
    const run = start('npx', ['--out', out]);
    await run.waitFor(/^step +2\//m);
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exit, run.output()).toBe(130);
    const [, step] = run.output().match(INTERRUPTED)!;
    expect(savedStep(out)).toBe(Number(step));
    expect(run.output().match(/Ctrl-C: stopping/g), 'one Ctrl-C is seen once').toHaveLength(1);
  });

  it('a parent that started it with an IPC channel and goes away counts as SIGTERM: saves, exits 143', async () => {
    const out = join(work, 'orphan');
    const run = start('node', ['--out', out], true);
    await run.waitFor(/^step +2\//m);
    run.child.disconnect();
    expect(await run.exit, run.output()).toBe(143);
    expect(savedStep(out)).toBe(Number(run.output().match(INTERRUPTED)![1]));
  });

  it('a second signal during the step quits at once: exit 130/143, no new checkpoint, the previous one kept and named', async () => {
    const out = join(work, 'twice');
    const run = start('node', ['--out', out]);
    await run.waitFor(/^checkpoint: step 4 /m);
    // Two signals that reach the process during one step: sent while it is stopped, both are delivered when it
    // continues (two SIGINTs would merge into one while pending, so the second is a SIGTERM; same handler).
    run.child.kill('SIGSTOP');
    run.child.kill('SIGINT');
    run.child.kill('SIGTERM');
    run.child.kill('SIGCONT');
    const code = await run.exit;
    const first = run.output().match(/^(Ctrl-C|SIGTERM): stopping after this step/m)?.[1];
    expect(code, run.output()).toBe(first === 'Ctrl-C' ? 130 : 143); // the code of the first signal handled
    const kept = savedStep(out);
    expect(kept % 4).toBe(0); // a periodic checkpoint, not one made for the interrupt
    expect(run.output()).toMatch(/^(Ctrl-C|SIGTERM) after (Ctrl-C|SIGTERM): quitting without saving; /m);
    expect(run.output()).toContain(
      `quitting without saving; the checkpoint of step ${kept} in ${join(out, 'checkpoint')} is kept`,
    );
    expect(run.output()).not.toMatch(INTERRUPTED);
  });
});
