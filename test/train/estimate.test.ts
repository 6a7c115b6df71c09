// The word before a long run on a slow backend: a step's compute and the projected time before data is prepared
// (tinystories-15m on cpu), nothing for short runs or GPU backends; the measured first steps' line format.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { flopsPerStep, preRunEstimate, StepTimer } from '../../src/train/estimate.js';
import type { BackendInfo } from '../../src/backend/select.js';

const cpu: BackendInfo = { name: 'cpu', device: 'tfjs cpu (JavaScript) on a test CPU, 2 cores', isSoftware: true };
const gpu: BackendInfo = { name: 'webgpu', device: 'a GPU', isSoftware: false };

describe('slow-run estimate', () => {
  it('tinystories-15m on cpu: 6 x 20.5M parameters x 32768 tokens per step, about 30 minutes a step, advice given', async () => {
    const cfg = await resolveConfig({ config: 'tinystories-15m' });
    const flops = flopsPerStep(cfg, 50257);
    expect(Number.isInteger(flops / 6 / 32768)).toBe(true); // 6 x parameters x tokens per step
    expect(flops / 6 / 32768).toBeGreaterThan(20.4e6); // 20.5M parameters (test/config/config.test.ts)
    expect(flops / 6 / 32768).toBeLessThan(20.6e6);
    const line = preRunEstimate(cfg, cpu)!;
    // 4.04e12 / 2.2e9 = 1837 s = 30m37s a step; x 20000 steps = 10206 h
    expect(line).toMatch(
      /^estimate: a step of this config is 4\.04 TFLOP; at the 2\.2 GFLOP\/s measured for tfjs on a CPU that is about 30m37s per step and 102\d\dh\d\dm for 20000 steps on cpu; /,
    );
    expect(line).toContain(
      'use a GPU (--backend webgpu on a machine with one), or a smaller config (--config tinystories-tiny',
    );
    expect(preRunEstimate(cfg, gpu)).toBeNull();
  });

  it('says nothing for tinystories-tiny on cpu (about 3 minutes)', async () => {
    expect(preRunEstimate(await resolveConfig({ config: 'tinystories-tiny' }), cpu)).toBeNull();
  });

  it('after steps 2-3 of a long run: their time and the projected rest; nothing on a GPU', () => {
    let clock = 0;
    const stepMs = [0, 5000, 2000, 3000, 2000]; // step 1 (warm-up, left out), steps 2 and 3: 2.5 s on average
    const run = (timer: StepTimer, steps: number[]) =>
      steps.map((step) => {
        timer.beginStep();
        clock += stepMs[step];
        return timer.endStep(step, 0);
      });
    const lines = run(new StepTimer(2003, cpu, () => clock), [1, 2, 3, 4]);
    expect(lines[0]).toBeNull();
    expect(lines[1]).toBeNull();
    expect(lines[2]).toBe(
      'estimate: steps 2-3 took 2.5 s each on tfjs cpu (JavaScript) on a test CPU, 2 cores; the remaining 2000 steps would take about ' +
        '1h23m; for a run this size use a GPU (--backend webgpu on a machine with one), or a smaller config (--config tinystories-tiny trains in about 3 minutes on a CPU)',
    );
    expect(lines[3]).toBeNull();
    expect(run(new StepTimer(500, cpu, () => clock), [1, 2, 3])[2], '1250 s left: short enough').toBeNull();
    const onGpu = new StepTimer(1_000_000_000, gpu, () => clock);
    expect(run(onGpu, [1, 2, 3])).toEqual([null, null, null]);
  });
});
