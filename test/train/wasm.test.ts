// The wasm backend (issue 13) against the cpu backend: 20 training steps give the same losses (AdamW and
// MetaOptimize layerwise), every nanometa kernel of a step runs as a wasm kernel (none falls back to its
// stock-op reference), resume continues exactly, tensors do not leak per step, and sampling draws cpu's tokens.
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src/backend/select.js';
import { setUpBackend } from '../../src/kernels/register.js';
import { ArrayTokenStream, BatchSampler } from '../../src/data/batches.js';
import { buildModel } from '../../src/model/gpt.js';
import { createOptimizer } from '../../src/optim/create.js';
import { generate, loadSampler } from '../../src/sample/generate.js';
import { runTraining } from '../../src/train/loop.js';
import { readMetrics } from '../../src/train/metrics.js';
import { trainStep } from '../../src/train/step.js';
import { testBackends } from '../backend/available.js';
import { tempDir, tensorsAcrossSteps, tinyConfig } from '../helpers.js';

const wasm = (await testBackends()).find((b) => b.label.startsWith('wasm'))!;
const quiet = () => {};
const OPTIMIZERS = [
  ['AdamW', { base: { type: 'adamw', weightDecay: 0.1 }, lr: 3e-3 }],
  [
    'MetaOptimize(AdamW, Lion) layerwise',
    { metaOptimize: { meta: { type: 'lion', lr: 0.01 }, blocks: 'layerwise' }, lr: 1e-3 },
  ],
] as const;
/** nanometa's own kernels carry one of these prefixes (STYLE 5). */
const isNanometa = (name: string) => name.startsWith('Nanometa') || name.startsWith('Nm');

let cache: string;
beforeAll(() => {
  cache = tempDir();
});

const losses = (dir: string) => readMetrics(join(dir, 'metrics.jsonl')).filter((r) => r.loss !== undefined);

/** Names of the registered kernels one training step (forward, backward, clipping, optimizer) runs, in order. */
async function stepKernels(optimizer: (typeof OPTIMIZERS)[number][1]): Promise<string[]> {
  const cfg = tinyConfig(cache, { model: { nLayer: 2, bias: true }, optimizer });
  const model = buildModel(cfg.model, 64, 1);
  const opt = createOptimizer(cfg.optimizer, model.params);
  const sampler = new BatchSampler(
    new ArrayTokenStream(Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 64)),
    16,
    4,
    1,
  );
  const step = async () => {
    const { loss, grads, gradNorm, gradScale } = await trainStep(model, [sampler.next()], 1, () => undefined);
    await opt.step(model.params, grads, 1e-3, gradScale);
    tf.dispose([loss, gradNorm, ...(gradScale ? [gradScale] : []), ...grads.values()]);
  };
  try {
    await step();
    const profile = await tf.profile(step);
    return profile.kernels.map((k) => k.name).filter((name) => tf.getKernel(name, tf.getBackend()) !== undefined);
  } finally {
    opt.dispose();
    model.dispose();
  }
}

describe.skipIf(!!wasm.skip)(`training on ${wasm.label} vs cpu`, () => {
  it('has a wasm kernel for every nanometa kernel registered for cpu', async () => {
    await setUpBackend('wasm');
    const cpuOnly = tf
      .getKernelsForBackend('cpu')
      .map((k) => k.kernelName)
      .filter(isNanometa)
      .filter((name) => !tf.getKernel(name, 'wasm'));
    expect(cpuOnly).toEqual([]);
  });

  for (const [label, optimizer] of OPTIMIZERS) {
    it(`runs every nanometa kernel of a step as a kernel, none as its reference: ${label}`, async () => {
      await setUpBackend('cpu');
      const cpu = (await stepKernels(optimizer)).filter(isNanometa);
      await setUpBackend('wasm');
      const onWasm = await stepKernels(optimizer);
      expect(cpu.length).toBeGreaterThan(20);
      expect(onWasm.filter(isNanometa)).toEqual(cpu);
      // the references' stock ops (gather, softmax, unsortedSegmentSum, layer-norm moments) do not run
      for (const stock of ['GatherV2', 'Softmax', 'UnsortedSegmentSum', 'Tanh', 'Mean'])
        expect(onWasm).not.toContain(stock);
    });

    it(`gives cpu's losses over 20 steps (1e-4 relative): ${label}`, async () => {
      const cfg = tinyConfig(cache, { train: { maxSteps: 20, evalInterval: 10, checkpointInterval: 20 }, optimizer });
      const run = async (info: BackendInfo) => {
        const out = tempDir();
        await runTraining(cfg, { outDir: out, backend: info, log: quiet });
        return losses(out);
      };
      const cpu = await run(await setUpBackend('cpu'));
      const onWasm = await run(await setUpBackend('wasm'));
      expect(onWasm.map((r) => r.step)).toEqual(cpu.map((r) => r.step));
      expect(cpu.length).toBe(20);
      cpu.forEach((row, i) => {
        expect(
          Math.abs(onWasm[i].loss! - row.loss!) / row.loss!,
          `step ${row.step}: wasm ${onWasm[i].loss} vs cpu ${row.loss}`,
        ).toBeLessThanOrEqual(1e-4);
      });
      expect(cpu[19].loss!).toBeLessThan(cpu[0].loss! - 0.1); // it trained
    });
  }

  it('continues exactly after --resume (MetaOptimize layerwise) and frees what it loaded', async () => {
    const info = await setUpBackend('wasm');
    const cfg = (maxSteps: number) => tinyConfig(cache, { train: { maxSteps }, optimizer: OPTIMIZERS[1][1] });
    const full = tempDir(),
      split = tempDir();
    await runTraining(cfg(6), { outDir: full, backend: info, log: quiet });
    await runTraining(cfg(3), { outDir: split, backend: info, log: quiet });
    const before = tf.memory().numTensors;
    await runTraining(cfg(6), { outDir: split, backend: info, log: quiet, resume: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(losses(split).map((r) => [r.step, r.loss, r.lr])).toEqual(losses(full).map((r) => [r.step, r.loss, r.lr]));
  });

  it('leaves tf.memory().numTensors unchanged across steps (accumulation, clipping, MetaOptimize)', async () => {
    await setUpBackend('wasm');
    const { before, after } = await tensorsAcrossSteps(cache);
    expect(after).toBe(before);
  });

  it("samples cpu's tokens from the same checkpoint and seed", async () => {
    const out = tempDir();
    const cfg = tinyConfig(cache, { train: { maxSteps: 4 } });
    await runTraining(cfg, { outDir: out, backend: await setUpBackend('cpu'), log: quiet });
    const draw = async () => {
      const sampler = loadSampler(join(out, 'checkpoint'));
      const tokens = [];
      for (let i = 0; i < 3; i++)
        tokens.push(
          (await generate(sampler, { ...cfg.sample, prompt: 'Once upon a time', maxNewTokens: 24, seed: 11 }, i))
            .tokens,
        );
      return tokens;
    };
    const cpu = await draw();
    await setUpBackend('wasm');
    const onWasm = await draw();
    expect(cpu.flat().length).toBeGreaterThan(30);
    expect(onWasm).toEqual(cpu);
  });
});
