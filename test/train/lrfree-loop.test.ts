// The learning-rate-free methods in the training loop: --resume continues exactly (6 steps = 3 + resume),
// the checkpoint's model.safetensors holds the evaluation point (Schedule-Free's x, DoG's average) and the
// optimizer state the training point, the learned scalar is logged, and steps leak no tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runTraining } from '../../src/train/loop.js';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { readMetrics } from '../../src/train/metrics.js';
import { trainStep } from '../../src/train/step.js';
import { buildModel } from '../../src/model/gpt.js';
import { createOptimizer } from '../../src/optim/create.js';
import { BatchSampler, ArrayTokenStream } from '../../src/data/batches.js';
import type { BackendInfo } from '../../src/backend/select.js';
import { tempDir, tinyConfig, useCpu } from '../helpers.js';

const backend: BackendInfo = { name: 'cpu', device: 'test', isSoftware: true };
const quiet = () => {};
let cache: string;

beforeAll(async () => {
  await useCpu();
  cache = tempDir();
});

/** Each method at a setting that moves the tiny model in 6 steps (weight decay on, to exercise it; mechanic's is its inner's). */
const METHODS: Record<string, Record<string, unknown>> = {
  'schedulefree-adamw': { base: { type: 'schedulefree-adamw', weightDecay: 0.1, warmupSteps: 2 }, lr: 1e-2 },
  prodigy: { base: { type: 'prodigy', weightDecay: 0.1 }, lr: 1 },
  dog: { base: { type: 'dog', weightDecay: 0.1, repsRel: 1e-3 }, lr: 1 },
  'dadapt-adam': { base: { type: 'dadapt-adam', weightDecay: 0.1 }, lr: 1 },
  'mechanic(adamw)': { base: { type: 'mechanic', weightDecay: 0, inner: { type: 'adamw', weightDecay: 0.1 } }, lr: 1 },
  'mechanic(sgd)': { base: { type: 'mechanic', weightDecay: 0, inner: { type: 'sgd' } }, lr: 1 },
};
const LEARNED: Record<string, string> = {
  'schedulefree-adamw': 'c',
  prodigy: 'd',
  dog: 'eta',
  'dadapt-adam': 'd',
  'mechanic(adamw)': 's',
  'mechanic(sgd)': 's',
};

const rows = (dir: string) => readMetrics(join(dir, 'metrics.jsonl'));

describe.each(Object.keys(METHODS))('%s in the training loop', (method) => {
  const cfg = (maxSteps: number) =>
    tinyConfig(cache, { train: { maxSteps }, optimizer: { ...METHODS[method], schedule: { type: 'constant' } } });

  it('continues exactly after --resume, and logs its learned scalar', async () => {
    const full = tempDir(),
      split = tempDir();
    await runTraining(cfg(6), { outDir: full, backend, log: quiet });
    await runTraining(cfg(3), { outDir: split, backend, log: quiet });
    const tensorsBefore = tf.memory().numTensors;
    await runTraining(cfg(6), { outDir: split, backend, log: quiet, resume: true });
    expect(tf.memory().numTensors, 'a resumed run frees everything it loaded').toBe(tensorsBefore);
    const a = rows(full),
      b = rows(split);
    expect(b.map((r) => [r.step, r.loss, r.lr, r.learned, r.trainLoss, r.valLoss])).toEqual(
      a.map((r) => [r.step, r.loss, r.lr, r.learned, r.trainLoss, r.valLoss]),
    );
    const steps = a.filter((r) => r.loss !== undefined);
    expect(steps.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const r of steps) {
      expect(r.learned![LEARNED[method]], `learned.${LEARNED[method]} at step ${r.step}`).toBeGreaterThan(0);
      expect(r.lr as number).toBeGreaterThan(0);
    }
    const [ca, cb] = [loadCheckpoint(join(full, 'checkpoint')), loadCheckpoint(join(split, 'checkpoint'))];
    for (const [name, t] of ca.params) expect(Array.from(cb.params.get(name)!.data), name).toEqual(Array.from(t.data));
    for (const [name, t] of ca.optimizerTensors)
      expect(Array.from(cb.optimizerTensors.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(
      rows(full)
        .filter((r) => r.valLoss !== undefined)
        .map((r) => r.step),
    ).toEqual([0, 3, 6]);
  }, 60_000);
});

describe('the evaluation point in the checkpoint', () => {
  it('Schedule-Free: model.safetensors holds x = y + (1 - 1/beta1)(z - y); the state holds y', async () => {
    const out = tempDir();
    await runTraining(tinyConfig(cache, { train: { maxSteps: 4 }, optimizer: METHODS['schedulefree-adamw'] }), {
      outDir: out,
      backend,
      log: quiet,
    });
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    let differs = 0;
    for (const [name, x] of ck.params) {
      const y = ck.optimizerTensors.get(`${name}/w`)!.data,
        z = ck.optimizerTensors.get(`${name}/z`)!.data;
      x.data.forEach((xi, i) => {
        const expected = y[i] + (1 - 1 / 0.9) * (z[i] - y[i]);
        expect(Math.abs(xi - expected), `${name}[${i}]`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(expected)));
        if (xi !== y[i]) differs++;
      });
    }
    expect(differs).toBeGreaterThan(0);
  }, 60_000);

  it('DoG: model.safetensors holds the average; the state holds the iterate', async () => {
    const out = tempDir();
    await runTraining(tinyConfig(cache, { train: { maxSteps: 4 }, optimizer: METHODS.dog }), {
      outDir: out,
      backend,
      log: quiet,
    });
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    let differs = 0;
    for (const [name, x] of ck.params) {
      expect(Array.from(x.data), name).toEqual(Array.from(ck.optimizerTensors.get(`${name}/avg`)!.data));
      differs += x.data.filter((v, i) => v !== ck.optimizerTensors.get(`${name}/w`)!.data[i]).length;
    }
    expect(differs).toBeGreaterThan(0);
  }, 60_000);

  it('methods evaluated at their iterate save no separate training point', async () => {
    const out = tempDir();
    await runTraining(tinyConfig(cache, { train: { maxSteps: 2 }, optimizer: METHODS.prodigy }), {
      outDir: out,
      backend,
      log: quiet,
    });
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    expect([...ck.optimizerTensors.keys()].filter((k) => k.endsWith('/w'))).toEqual([]);
  }, 60_000);
});

describe('optimizer.step', () => {
  it.each(Object.keys(METHODS))(
    '%s leaves tf.memory().numTensors unchanged across steps (eval point included)',
    async (method) => {
      const cfg = tinyConfig(cache, { optimizer: { ...METHODS[method], schedule: { type: 'constant' } } });
      const model = buildModel(cfg.model, 64, 1);
      const optimizer = createOptimizer(cfg.optimizer, model.params);
      const sampler = new BatchSampler(
        new ArrayTokenStream(Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 64)),
        16,
        4,
        1,
      );
      const step = async () => {
        const { loss, grads, gradNorm, gradScale } = await trainStep(model, [sampler.next()], 1, () => undefined);
        await optimizer.step(model.params, grads, cfg.optimizer.lr, gradScale);
        tf.dispose([loss, gradNorm, gradScale!, ...grads.values()]);
        const point = optimizer.evalPoint?.(model.params);
        if (point) tf.dispose([...point.values()]);
        await optimizer.sync?.();
      };
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await step();
      expect(tf.memory().numTensors).toBe(before);
      optimizer.dispose();
      model.dispose();
    },
  );
});
