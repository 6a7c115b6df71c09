// sample.ts as a user runs it: errors name the flag that was typed, print once and without a stack; a checkpoint
// without optimizer.safetensors samples fine (sampling needs the weights only).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTraining } from '../../src/train/loop.js';
import { REPO } from '../fixtures.js';
import { tempDir, tinyConfig, useCpu } from '../helpers.js';

let ckpt: string;
beforeAll(async () => {
  await useCpu();
  const out = tempDir();
  await runTraining(tinyConfig(tempDir(), { train: { maxSteps: 2 } }), {
    outDir: out,
    backend: { name: 'cpu', device: 'test', isSoftware: true },
    log: () => {},
  });
  ckpt = join(out, 'checkpoint');
  rmSync(join(ckpt, 'optimizer.safetensors'));
});

const sample = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'sample.ts', '--backend', 'cpu', '--checkpoint', ckpt, ...args], {
    cwd: REPO,
    encoding: 'utf8',
  });

describe('sample.ts', () => {
  it('names the flag the user typed, once, without a stack trace', () => {
    const r = sample('--max-new-tokens', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'ConfigError: --max-new-tokens 0: Too small: expected number to be >=1\n  hint: see npx tsx sample.ts --help\n',
    );
  });

  it('samples from a checkpoint without optimizer.safetensors', () => {
    const r = sample('--max-new-tokens', '5', '--prompt', 'Once');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.startsWith('Once')).toBe(true);
    expect(r.stderr).toMatch(/^checkpoint .* \(step 2\); temperature/);
  });
});
