// Training loop: run folder contents, resume equals an uninterrupted run (plain and MetaOptimize),
// extending a finished run, tensor leaks per step, and non-finite loss handling.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runTraining } from '../../src/train/loop.js';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { readMetrics } from '../../src/train/metrics.js';
import type { BackendInfo } from '../../src/backend/select.js';
import { tempDir, tensorsAcrossSteps, tinyConfig, useCpu } from '../helpers.js';

const backend: BackendInfo = { name: 'cpu', device: 'test', isSoftware: true };
const quiet = () => {};
let cache: string;

beforeAll(async () => {
  await useCpu();
  cache = tempDir();
});

const losses = (dir: string) =>
  readMetrics(join(dir, 'metrics.jsonl'))
    .filter((r) => r.loss !== undefined)
    .map((r) => [r.step, r.loss, r.lr]);

describe('runTraining', () => {
  it('writes config.json, metrics.jsonl and a checkpoint, and lowers the loss', async () => {
    const out = tempDir();
    const cfg = tinyConfig(cache, { train: { maxSteps: 12, evalInterval: 12 }, optimizer: { lr: 1e-2 } });
    const result = await runTraining(cfg, { outDir: out, backend, log: quiet });
    expect(result.step).toBe(12);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.train.maxSteps).toBe(12);
    expect(config.run.paramCount).toBeGreaterThan(0);
    expect(config.run.blockNames).toEqual(['all']);
    expect(config.run.flags).toMatchObject({ attention: 'fused', linear: 'fused', optimStep: 'in-place' }); // src/flags.ts: the paths that ran
    const rows = readMetrics(join(out, 'metrics.jsonl'));
    const evals = rows.filter((r) => r.valLoss !== undefined);
    expect(evals.map((r) => r.step)).toEqual([0, 12]);
    expect(evals[1].valLoss!).toBeLessThan(evals[0].valLoss! - 0.3);
    for (const r of rows.filter((r) => r.loss !== undefined))
      for (const key of ['step', 'loss', 'lr', 'tokensPerSec', 'elapsedSec', 'tokens']) expect(r).toHaveProperty(key);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.step).toBe(12);
    expect(state.tokensSeen).toBe(12 * 4 * 16);
  });

  for (const [label, optimizer] of [
    ['AdamW with cosine schedule', { schedule: { type: 'cosine', warmupSteps: 2, minLr: 1e-4 } }],
    [
      'MetaOptimize(AdamW, Lion) layerwise',
      { metaOptimize: { meta: { type: 'lion', lr: 0.01 }, blocks: 'layerwise' }, lr: 1e-3 },
    ],
  ] as const) {
    it(`continues exactly after --resume: ${label}`, async () => {
      const full = tempDir(),
        split = tempDir();
      const cfg = (maxSteps: number) => tinyConfig(cache, { train: { maxSteps }, optimizer });
      await runTraining(cfg(6), { outDir: full, backend, log: quiet });
      await runTraining(cfg(3), { outDir: split, backend, log: quiet });
      const tensorsBefore = tf.memory().numTensors;
      await runTraining(cfg(6), { outDir: split, backend, log: quiet, resume: true });
      expect(tf.memory().numTensors, 'a resumed run frees everything it loaded').toBe(tensorsBefore);
      const a = losses(full),
        b = losses(split);
      expect(b.map((r) => r[0])).toEqual([1, 2, 3, 4, 5, 6]);
      a.forEach(([step, loss, lr], i) => {
        expect(b[i][0]).toBe(step);
        expect(b[i][1] as number).toBeCloseTo(loss as number, 6);
        expect(b[i][2]).toEqual(lr);
      });
      const lr = a[a.length - 1][2];
      if ('metaOptimize' in optimizer) expect(Array.isArray(lr) && lr.length > 1).toBe(true);
    });
  }

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const out = tempDir();
    const cfg = (lr: number, maxSteps: number) =>
      tinyConfig(cache, {
        train: { maxSteps, checkpointInterval: 2, evalInterval: 100 },
        optimizer: { base: { type: 'sgd' }, lr, gradClip: 0 },
      });
    await runTraining(cfg(1e-3, 4), { outDir: out, backend, log: quiet });
    // resume with an absurd lr: the weights blow up within a few steps (how many depends on the kernels'
    // rounding), and the run stops at the first log step that sees it
    const err = await runTraining(cfg(1e12, 40), { outDir: out, backend, log: quiet, resume: true }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/(is (NaN|Infinity|-Infinity) at step \d+; stopping)|(holds NaN or Infinity)/);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
    const stoppedAt = /at step (\d+)/.exec(err!.message);
    expect(state.step).toBeGreaterThanOrEqual(4);
    if (stoppedAt) expect(state.step).toBeLessThan(Number(stoppedAt[1]));
    const kept = loadCheckpoint(join(out, 'checkpoint'));
    for (const [name, t] of kept.params)
      expect(t.data.every(Number.isFinite), `${name} in the kept checkpoint is finite`).toBe(true);
  });
});

describe('trainStep', () => {
  it('leaves tf.memory().numTensors unchanged across steps (with accumulation and MetaOptimize)', async () => {
    const { before, after } = await tensorsAcrossSteps(cache);
    expect(after).toBe(before);
  });
});
