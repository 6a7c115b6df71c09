// The whole training loop on WebGPU (Mesa software adapter) gives the losses of the cpu backend: model,
// chunked loss, embedding gradient, clipping, MetaOptimize's fused step and checkpoints on both; with the
// GEMMs tuned after the first step too.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runTraining, type TrainOptions } from '../../src/train/loop.js';
import { resetGemmTuning, type GemmMeasure } from '../../src/kernels/matmul/tune.js';
import { readMetrics } from '../../src/train/metrics.js';
import { initBackend, type BackendInfo } from '../../src/backend/select.js';
import { testBackends } from '../backend/available.js';
import { tempDir, tinyConfig } from '../helpers.js';

const backends = await testBackends();
const webgpu = backends.find((b) => b.label.startsWith('webgpu'))!;

describe.skipIf(!!webgpu.skip)(`training on ${webgpu.label} vs cpu`, () => {
  it('gives the same losses and step sizes for three MetaOptimize steps', async () => {
    const cache = tempDir();
    const cfg = tinyConfig(cache, { train: { maxSteps: 3, evalInterval: 3 }, optimizer: { metaOptimize: { meta: { type: 'lion', lr: 0.05 } } } });
    const run = async (info: BackendInfo) => {
      const out = tempDir();
      await runTraining(cfg, { outDir: out, backend: info, log: () => {} });
      return readMetrics(join(out, 'metrics.jsonl'));
    };
    const gpu = await run(await initBackend('webgpu', { software: true }));
    const cpu = await run(await initBackend('cpu'));
    expect(gpu.length).toBe(cpu.length);
    cpu.forEach((row, i) => {
      for (const key of ['loss', 'valLoss', 'trainLoss'] as const)
        if (row[key] !== undefined) expect(gpu[i][key]!).toBeCloseTo(row[key]!, 4);
      if (Array.isArray(row.lr)) (row.lr as number[]).forEach((lr, b) => expect((gpu[i].lr as number[])[b]).toBeCloseTo(lr, 8));
    });
  });

  it('tunes the GEMMs after the first step when asked (--tune-gemm) and trains on with the tuned kernels', async () => {
    const cache = tempDir();
    const cfg = tinyConfig(cache, { train: { maxSteps: 3, evalInterval: 3 } });
    const lines: string[] = [];
    const run = async (info: BackendInfo, tuneGemm?: TrainOptions['tuneGemm']) => {
      const out = tempDir();
      await runTraining(cfg, { outDir: out, backend: info, log: (l) => lines.push(l), tuneGemm });
      return readMetrics(join(out, 'metrics.jsonl'));
    };
    // A timer that favours split-K, 96x96 and prefetch: the tuned run runs other kernels than the planner's.
    const measure: GemmMeasure = async (product, _call, c) => {
      const out = product();
      await tf.backend().read(out.dataId);
      tf.backend().disposeData(out.dataId);
      return (c.splitK > 1 ? 1 : 2) + (c.tile === '96x96' ? 0 : 1) + (c.variant === 'prefetch' ? 0 : 1);
    };
    const gpu = await run(await initBackend('webgpu', { software: true }), { cacheFile: null, topPlans: 7, measure });
    const summary = lines.find((l) => l.startsWith('gemm tuning:'));
    expect(summary).toMatch(/^gemm tuning: (\d+) matrix products, \1 timed, 0 from the cache, [1-9]\d* changed/);
    const cpu = await run(await initBackend('cpu'), true); // ignored on cpu
    expect(lines.filter((l) => l.startsWith('gemm tuning:'))).toHaveLength(1);
    expect(gpu.length).toBe(cpu.length);
    cpu.forEach((row, i) => {
      for (const key of ['loss', 'valLoss', 'trainLoss'] as const)
        if (row[key] !== undefined) expect(gpu[i][key]!).toBeCloseTo(row[key]!, 4);
    });
    resetGemmTuning();
  });
});
