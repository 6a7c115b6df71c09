// bench/train-step.ts on a tiny model (cpu): real steps run, the loss falls, and the JSON fields add up.
import { beforeAll, describe, expect, it } from 'vitest';
import { benchTrainStep, benchVocabSize } from '../../bench/train-step.js';
import { setUpBackend } from '../../src/kernels/register.js';
import type { BackendInfo } from '../../src/backend/types.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { setFlag } from '../../src/flags.js';

describe('benchTrainStep', () => {
  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await setUpBackend('cpu');
  });

  it('times real training steps of a tiny model and reports consistent numbers', async () => {
    const cfg = await resolveConfig({
      config: 'tinystories-tiny',
      set: [
        'model.nLayer=1',
        'model.nEmbd=16',
        'model.nHead=2',
        'model.blockSize=8',
        'train.batchSize=4',
        'data.compactVocabSize=64',
        'optimizer.lr=0.01',
        'optimizer.schedule.type=constant',
      ],
    });
    const V = benchVocabSize(cfg);
    expect(V).toBe(384); // 64 + 257 = 321, padded to a multiple of 64
    setFlag('attention', 'matmul'); // reported back, as NANOMETA_ATTENTION=matmul would be on the GPU machine
    const r = await benchTrainStep(cfg, backend, { steps: 4, warmup: 1 }).finally(() => setFlag('attention', null));
    expect(r).toMatchObject({ backend: 'cpu', batch: 4, tokensPerStep: 32, steps: 4, optimizer: 'adamw' });
    expect(r.flags).toMatchObject({ attention: 'matmul', linear: 'fused', optimStep: 'in-place' });
    expect(r.model).toEqual({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 384 });
    expect(r.lossFirst).toBeGreaterThan(Math.log(384) - 0.5);
    expect(r.lossFirst).toBeLessThan(Math.log(384) + 0.5);
    expect(r.lossLast).toBeLessThan(r.lossFirst); // the optimizer really stepped (4 batches cycle)
    expect(r.medianStepMs).toBeGreaterThan(0);
    expect(r.tokensPerSec).toBeCloseTo(32 / (r.medianStepMs / 1000), -1);
    expect(r.peakTensorBytes).toBeGreaterThan(r.params * 4); // at least the parameters' gradients
    expect(r.kernelsPerStep).toBeGreaterThan(10);
    expect(r.medianIssueMs).toBeGreaterThan(0); // on cpu the kernels run while issuing: issue ≈ step
    expect(r.medianIssueMs).toBeLessThanOrEqual(r.medianStepMs * 1.5 + 1);
  });

  it('with profile, lists kernels by name and by input shapes, and their total time', async () => {
    const cfg = await resolveConfig({
      config: 'tinystories-tiny',
      set: [
        'model.nLayer=1',
        'model.nEmbd=16',
        'model.nHead=2',
        'model.blockSize=8',
        'train.batchSize=4',
        'data.compactVocabSize=64',
      ],
    });
    const r = await benchTrainStep(cfg, backend, { steps: 1, warmup: 1, profile: true });
    const names = r.topKernels!.map((k) => k.name);
    expect(names).toContain('BatchMatMul');
    expect(names).toContain('NanometaOptimStep');
    expect(r.topKernelShapes!.some((k) => /^BatchMatMul \[\d+,\d+\] \[\d+,\d+\]$/.test(k.name))).toBe(true);
    const total = r.topKernels!.reduce((a, k) => a + k.ms, 0);
    expect(r.kernelMsTotal!).toBeGreaterThanOrEqual(total - 0.01); // the top 15 are part of the total
  });
});
