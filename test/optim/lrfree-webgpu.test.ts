// The learning-rate-free optimizers on WebGPU (Mesa software adapter): every lrfree-cases.json trajectory
// through the stock-op passes (kernels/lrfree-step/reference.ts; no WebGPU program yet), with the global sums
// (d, eta, s) reduced on the device, steps that read nothing back, and numTensors unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLrFreeTraceCase } from '../../src/optim/lrfree/trace-case.js';
import type { TraceCase } from '../../src/optim/metaoptimize/trace-case.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const CASES_PATH = existsSync('test/fixtures/lrfree-cases.json') ? 'test/fixtures/lrfree-cases.json' : '../shared/reference/lrfree-cases.json';
const cases = JSON.parse(readFileSync(CASES_PATH, 'utf8')) as Record<string, TraceCase & { expected: { w: number[]; wEval: number[] }[] }>;

describe.skipIf(webgpu.skip)('lrfree-cases.json on WebGPU (software adapter)', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(Object.keys(cases))('%s within 1e-4 of the displacement + 4 float32 ulps', async (name) => {
    const c = cases[name];
    const init = c.problem.tensors.flatMap((t) => t.init);
    const before = tf.memory().numTensors;
    const records = await runLrFreeTraceCase(c, 'auto');
    expect(tf.memory().numTensors).toBe(before);
    records.forEach((r, k) => {
      const e = c.expected[k];
      const displacement = Math.max(...e.w.map((x, i) => Math.abs(x - init[i])));
      for (const key of ['w', 'wEval'] as const) {
        const tol = 1e-4 * displacement + 4 * 2 ** -23 * Math.max(...e[key].map(Math.abs));
        r[key].forEach((a, i) => {
          if (!(Math.abs(a - e[key][i]) <= tol)) throw new Error(`${name} step ${k + 1} ${key}[${i}]: got ${a}, expected ${e[key][i]} (tol ${tol})`);
        });
      }
    });
  }, 120_000);
});
