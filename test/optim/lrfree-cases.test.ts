// Every trajectory of lrfree-cases.json (the authors' code in float64, ../shared/reference/lr-free.md)
// through the float64 host versions, the fused cpu kernels and the stock-op reference, plus one run of
// tools/optim-trace.ts. Tolerance: 1e-4 of the displacement from the initial point, plus the float32
// rounding of the stored parameters (4 units in the last place of the largest weight): a weight near 0.6
// cannot hold a displacement of 1e-8 (mechanic's first steps) any closer than its rounding.
import * as tf from '@tensorflow/tfjs-core';
import { setUpBackend } from '../../src/kernels/register.js';
import { LRFREE_STEP_KERNEL } from '../../src/kernels/lrfree-step/index.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLrFreeTraceCase, type LrFreeTraceRecord } from '../../src/optim/lrfree/trace-case.js';
import type { TraceCase } from '../../src/optim/metaoptimize/trace-case.js';

// A copy of ../shared/reference/lrfree-cases.json (identical bytes), so the tests run on a clone alone
const CASES_PATH = existsSync('test/fixtures/lrfree-cases.json')
  ? 'test/fixtures/lrfree-cases.json'
  : '../shared/reference/lrfree-cases.json';
const cases = JSON.parse(readFileSync(CASES_PATH, 'utf8')) as Record<
  string,
  TraceCase & { expected: { step: number; w: number[]; wEval: number[] }[] }
>;
const F32_ULP = 2 ** -23;

function compare(name: string, records: LrFreeTraceRecord[], float32: boolean): number {
  const c = cases[name];
  const init = c.problem.tensors.flatMap((t) => t.init);
  expect(records.length).toBe(c.expected.length);
  let worst = 0;
  records.forEach((r, k) => {
    const e = c.expected[k];
    expect(r.step).toBe(e.step);
    const displacement = Math.max(...e.w.map((x, i) => Math.abs(x - init[i])));
    for (const key of ['w', 'wEval'] as const) {
      const rounding = float32 ? 4 * F32_ULP * Math.max(...e[key].map(Math.abs)) : 0;
      const tol = (float32 ? 1e-4 : 1e-9) * displacement + rounding;
      r[key].forEach((a, i) => {
        const err = Math.abs(a - e[key][i]);
        worst = Math.max(worst, err / tol);
        if (!(err <= tol))
          throw new Error(
            `${name} step ${e.step} ${key}[${i}]: got ${a}, expected ${e[key][i]} (|diff| ${err} > ${tol})`,
          );
      });
    }
  });
  return worst;
}

beforeAll(async () => {
  await setUpBackend('cpu'); // registers NanometaLrFreeStep: the 'auto' cases below run the fused cpu kernel
  expect(tf.getKernel(LRFREE_STEP_KERNEL, 'cpu')).toBeDefined();
});

describe('lrfree-cases.json, float64 host versions', () => {
  it.each(Object.keys(cases))('%s matches to 1e-9 of the displacement', async (name) => {
    compare(name, await runLrFreeTraceCase(cases[name], 'host'), false);
  });
});

describe.each(['auto', 'reference'] as const)('lrfree-cases.json, float32 tensors (%s kernel)', (impl) => {
  it.each(Object.keys(cases))('%s matches, leaving numTensors unchanged', async (name) => {
    const before = tf.memory().numTensors;
    compare(name, await runLrFreeTraceCase(cases[name], impl), true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tools/optim-trace.ts', () => {
  it('prints [{step, w, wEval, lr, d}] for a Prodigy case', () => {
    const out = execFileSync('npx', ['tsx', 'tools/optim-trace.ts', '--case', CASES_PATH, '--name', 'L2_prodigy'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const records = JSON.parse(out) as LrFreeTraceRecord[];
    expect(Object.keys(records[0]).sort()).toEqual(['d', 'lr', 'step', 'w', 'wEval']);
    compare('L2_prodigy', records, true);
  }, 60_000);
});
