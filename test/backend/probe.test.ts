// The auto backend's GPU probe is silent on a machine without a GPU: with no Vulkan loader it never asks Dawn
// (whose native warning cannot be silenced), and the backend line says what was found and why.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hardwareGpuUnavailable, VULKAN_LOADER } from '../../src/backend/probe.js';
import { REPO } from '../fixtures.js';
import { tempDir } from '../helpers.js';

const onLinux = process.platform === 'linux';
const system = onLinux ? hardwareGpuUnavailable() : null;

describe('GPU probe', () => {
  it.runIf(onLinux)('finds a Vulkan loader on LD_LIBRARY_PATH', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', VULKAN_LOADER), '');
    const saved = process.env.LD_LIBRARY_PATH;
    process.env.LD_LIBRARY_PATH = join(dir, 'lib');
    try {
      expect(hardwareGpuUnavailable()).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.LD_LIBRARY_PATH;
      else process.env.LD_LIBRARY_PATH = saved;
    }
  });

  it('--backend auto without a GPU prints nothing from Dawn or tfjs, and says why it chose wasm', (ctx) => {
    if (!system) return ctx.skip('this machine has a Vulkan loader; the check is for machines without one');
    const script = `import { setUpBackend } from './src/kernels/register.ts';
      import * as tf from '@tensorflow/tfjs-core';
      const info = await setUpBackend('auto'); tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
      console.log(JSON.stringify(info));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const info = JSON.parse(r.stdout.trim());
    expect(info.name).toBe('wasm'); // no GPU: the fastest CPU backend
    expect(info.reason).toBe(
      `no GPU: no Vulkan loader (${VULKAN_LOADER}), so no GPU driver is reachable; --backend webgpu explains more`,
    );
  });
});
