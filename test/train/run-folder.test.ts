// What users do to run folders: two runs on one --out (lock with pid and host; a dead run's lock is taken over),
// a kill between writeDirAtomic's two renames (checkpoint recovered from .checkpoint.tmp-*.old), a checkpoint
// folder without state.json (--resume refuses instead of starting over it), stale temporaries, a metrics.jsonl
// whose last line was cut short.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runTraining } from '../../src/train/loop.js';
import { lockRunFolder } from '../../src/checkpoint/lock.js';
import { readMetrics } from '../../src/train/metrics.js';
import type { BackendInfo } from '../../src/backend/select.js';
import { CheckpointError, TrainingError } from '../../src/util/errors.js';
import { tempDir, tinyConfig, useCpu } from '../helpers.js';

const backend: BackendInfo = { name: 'cpu', device: 'test', isSoftware: true };
let cache: string;
const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process

beforeAll(async () => {
  await useCpu();
  cache = tempDir();
});

const cfg = (maxSteps: number) => tinyConfig(cache, { train: { maxSteps } });
const stateStep = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')).step as number;

describe('run folder', () => {
  it("a second run on a folder in use is refused with the holder's pid and host; the lock goes when the run ends", async () => {
    const out = tempDir();
    const held = lockRunFolder(out, () => {});
    const err = await runTraining(cfg(3), { outDir: out, backend, log: () => {} }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toBe(
      `${out} is in use by another run (pid ${process.pid} on ${hostname()}, started ${JSON.parse(readFileSync(join(out, '.lock'), 'utf8')).started})`,
    );
    expect(err.hint).toMatch(/kill -INT \d+.*--out/);
    expect(existsSync(join(out, 'metrics.jsonl')), 'the refused run wrote nothing').toBe(false);
    held.release();
    await runTraining(cfg(3), { outDir: out, backend, log: () => {} });
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('takes over the lock of a dead process with a message', async () => {
    const out = tempDir();
    writeFileSync(
      join(out, '.lock'),
      JSON.stringify({ pid: DEAD_PID, host: hostname(), started: '2026-01-01T00:00:00.000Z' }),
    );
    const lines: string[] = [];
    await runTraining(cfg(3), { outDir: out, backend, log: (l) => lines.push(l) });
    expect(lines[0]).toBe(
      `note: taking over ${join(out, '.lock')} from process ${DEAD_PID}, which is no longer running`,
    );
    expect(stateStep(out)).toBe(3);
  });

  it('a lock from another host is refused (its process cannot be checked from here)', async () => {
    const out = tempDir();
    writeFileSync(
      join(out, '.lock'),
      JSON.stringify({ pid: DEAD_PID, host: 'elsewhere', started: '2026-01-01T00:00:00.000Z' }),
    );
    const err = await runTraining(cfg(3), { outDir: out, backend, log: () => {} }).catch((e) => e);
    expect(err.message).toMatch(/in use by another run \(pid \d+ on elsewhere/);
    expect(err.hint).toBe(`if that run is gone, delete ${join(out, '.lock')}; or train into another folder with --out`);
  });

  it('recovers a checkpoint left in .checkpoint.tmp-*.old by a kill between the two renames, and removes stale temps', async () => {
    const out = tempDir();
    await runTraining(cfg(3), { outDir: out, backend, log: () => {} });
    // The state a kill leaves between writeDirAtomic's renames: old checkpoint moved aside, new one not yet in place.
    const tmp = join(out, `.checkpoint.tmp-${DEAD_PID}-1`);
    renameSync(join(out, 'checkpoint'), `${tmp}.old`);
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'model.safetensors'), 'half');
    writeFileSync(join(out, `.config.json.tmp-${DEAD_PID}-1`), '{');
    const lines: string[] = [];
    const result = await runTraining(cfg(5), { outDir: out, backend, log: (l) => lines.push(l), resume: true });
    expect(lines[0]).toBe(
      `recovered the checkpoint of step 3 from ${tmp}.old (a run was stopped while replacing it) -> ${join(out, 'checkpoint')}`,
    );
    expect(lines).toContain(`resumed from ${join(out, 'checkpoint')} at step 3 (192 tokens)`);
    expect(result.step).toBe(5);
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'config.json', 'metrics.jsonl']);
  });

  it('--resume refuses a checkpoint folder without state.json instead of training over it', async () => {
    const out = tempDir();
    await runTraining(cfg(3), { outDir: out, backend, log: () => {} });
    rmSync(join(out, 'checkpoint', 'state.json'));
    const before = readFileSync(join(out, 'checkpoint', 'model.safetensors'));
    const err = await runTraining(cfg(6), { outDir: out, backend, log: () => {}, resume: true }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toBe(
      `${join(out, 'checkpoint')} exists but has no readable state.json, so --resume cannot continue it`,
    );
    expect(readFileSync(join(out, 'checkpoint', 'model.safetensors')).equals(before)).toBe(true);
  });

  it('a fresh run over an existing checkpoint says it will replace it', async () => {
    const out = tempDir();
    await runTraining(cfg(3), { outDir: out, backend, log: () => {} });
    const lines: string[] = [];
    await runTraining(cfg(3), { outDir: out, backend, log: (l) => lines.push(l) });
    expect(lines).toContain(
      `note: ${out} already holds a checkpoint; this fresh run replaces it at its first save (use --resume to continue it)`,
    );
  });

  it('resumes past a metrics.jsonl whose last line was cut short; a damaged line inside is an error naming it', async () => {
    const out = tempDir();
    await runTraining(cfg(3), { outDir: out, backend, log: () => {} });
    appendFileSync(join(out, 'metrics.jsonl'), '{"step":4,"loss":5.1,"l');
    await runTraining(cfg(4), { outDir: out, backend, log: () => {}, resume: true });
    expect(
      readMetrics(join(out, 'metrics.jsonl'))
        .filter((r) => r.loss !== undefined)
        .map((r) => r.step),
    ).toEqual([1, 2, 3, 4]);

    const text = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n');
    text[1] = '{"step": 1, oops';
    writeFileSync(join(out, 'metrics.jsonl'), text.join('\n'));
    const err = await runTraining(cfg(5), { outDir: out, backend, log: () => {}, resume: true }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toBe(`${join(out, 'metrics.jsonl')} line 2 is not a JSON metrics row: "{\\"step\\": 1, oops"`);
  });
});
