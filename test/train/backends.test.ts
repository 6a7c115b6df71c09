// The whole training loop on WebGPU (Mesa software adapter) gives the losses of the cpu backend: model,
// chunked loss, embedding gradient, clipping, MetaOptimize's fused step and checkpoints on both; with the
// GEMMs tuned after the first step too.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runTraining, type TrainOptions } from '../../src/train/loop.js';
import { resetGemmTuning, type GemmMeasure } from '../../src/kernels/matmul/tune.js';
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
    const cfg = tinyConfig(cache, { train: { maxSteps: 3, evalInterval: 3 }, optimizer: { metaOptimize: { meta: { type: 'lion', lr: 0.05 } } } });
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
      if (Array.isArray(row.lr)) (row.lr as number[]).forEach((lr, b) => expect((gpu[i].lr as number[])[b]).toBeCloseTo(lr, 8));
    });
  });

  it('tunes the GEMMs after the first step when asked (--tune-gemm), trains on with them, and resumes with the same kernels', async () => {
    const cache = tempDir();
    const cfg = (maxSteps: number) => tinyConfig(cache, { train: { maxSteps, evalInterval: 2, checkpointInterval: 2 } });
    const lines: string[] = [];
    const run = async (info: BackendInfo, maxSteps: number, o: { out?: string; resume?: boolean; tuneGemm?: TrainOptions['tuneGemm'] } = {}) => {
      const out = o.out ?? tempDir();
      await runTraining(cfg(maxSteps), { outDir: out, backend: info, log: (l) => lines.push(l), tuneGemm: o.tuneGemm, resume: o.resume });
      return { out, metrics: readMetrics(join(out, 'metrics.jsonl')) };
    };
    // A timer that favours split-K, 96x96 and prefetch: the tuned run runs other kernels than the planner's.
    const measure: GemmMeasure = async (product, _call, c) => {
      const out = product();
      await tf.backend().read(out.dataId);
      tf.backend().disposeData(out.dataId);
      return (c.splitK > 1 ? 1 : 2) + (c.tile === '96x96' ? 0 : 1) + (c.variant === 'prefetch' ? 0 : 1);
    };
    const tuneGemm = { cacheFile: null, topPlans: 7, measure };
    const webgpu = await setUpBackend('webgpu', { software: true });
    const whole = await run(webgpu, 4, { tuneGemm });
    expect(lines.find((l) => l.startsWith('gemm tuning:'))).toMatch(/^gemm tuning: (\d+) matrix products, \1 timed, 0 from the cache, [1-9]\d* changed/);

    // Stopped at step 2 and resumed: the checkpoint's choices run from the resumed step on, with no new tuning
    // (the log line; the tuner's tests show adopted choices run), and the losses are the uninterrupted run's.
    // At these sizes they would be even without the restore: only a K split reorders a sum, and no K here
    // reaches 512; tinystories-15m's do.
    const split = await run(webgpu, 2, { tuneGemm });
    lines.length = 0;
    await run(webgpu, 4, { out: split.out, resume: true, tuneGemm }); // asked again: not tuned again
    expect(lines.some((l) => /^gemm: \d+ tuned kernel choices of this run restored from the checkpoint/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('gemm tuning:'))).toBe(false);
    const resumed = readMetrics(join(split.out, 'metrics.jsonl'));
    expect(resumed.map((r) => [r.step, r.loss, r.valLoss])).toEqual(whole.metrics.map((r) => [r.step, r.loss, r.valLoss]));

    const cpu = await run(await setUpBackend('cpu'), 4, { tuneGemm: true }); // ignored on cpu
    expect(whole.metrics.length).toBe(cpu.metrics.length);
    cpu.metrics.forEach((row, i) => {
      for (const key of ['loss', 'valLoss', 'trainLoss'] as const)
        if (row[key] !== undefined) expect(whole.metrics[i][key]!).toBeCloseTo(row[key]!, 4);
    });
    resetGemmTuning();
  });
});
