// The whole training loop on WebGPU (Mesa software adapter) gives the losses of the cpu backend: model,
// chunked loss, embedding gradient, clipping, MetaOptimize's fused step and checkpoints on both.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runTraining } from '../../src/train/loop.js';
import { readMetrics } from '../../src/train/metrics.js';
import { type BackendInfo } from '../../src/backend/select.js';
import { setUpBackend } from '../../src/kernels/register.js';
import { testBackends } from '../backend/available.js';
import { tempDir, tinyConfig } from '../helpers.js';

const backends = await testBackends();
const webgpu = backends.find((b) => b.label.startsWith('webgpu'))!;

describe.skipIf(!!webgpu.skip)(`training on ${webgpu.label} vs cpu`, () => {
  it('gives the same losses and step sizes for three MetaOptimize steps', async () => {
    const cache = tempDir();
    const cfg = tinyConfig(cache, {
      train: { maxSteps: 3, evalInterval: 3 },
      optimizer: { metaOptimize: { meta: { type: 'lion', lr: 0.05 } } },
    });
    const run = async (info: BackendInfo) => {
      const out = tempDir();
      await runTraining(cfg, { outDir: out, backend: info, log: () => {} });
      return readMetrics(join(out, 'metrics.jsonl'));
    };
    const gpu = await run(await setUpBackend('webgpu', { software: true }));
    const cpu = await run(await setUpBackend('cpu'));
    expect(gpu.length).toBe(cpu.length);
    cpu.forEach((row, i) => {
      for (const key of ['loss', 'valLoss', 'trainLoss'] as const)
        if (row[key] !== undefined) expect(gpu[i][key]!).toBeCloseTo(row[key]!, 4);
      if (Array.isArray(row.lr))
        (row.lr as number[]).forEach((lr, b) => expect((gpu[i].lr as number[])[b]).toBeCloseTo(lr, 8));
    });
  });
});
