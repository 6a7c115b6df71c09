// Every golden trajectory of test/fixtures/metaoptimize-cases.json (a copy of ../shared/reference's, compared
// in test/fixtures.test.ts) through the optim-trace code path (fused cpu kernel and stock-op reference), plus one
// run of the real tools/optim-trace.ts command.
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraceCase, selectCase, type TraceCase, type TraceRecord } from '../../src/optim/metaoptimize/trace-case.js';
import { setUpBackend } from '../../src/kernels/register.js';
import { fixture } from '../fixtures.js';

const CASES_PATH = fixture('metaoptimize-cases.json');
const cases = JSON.parse(readFileSync(CASES_PATH, 'utf8')) as Record<string, TraceCase>;

/** ~1e-5 relative, 1e-7 absolute near zero (float32 tensors vs the float64 golden values). */
function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    const tol = Math.max(1e-5 * Math.abs(e), 1e-7);
    if (!(Math.abs(a - e) <= tol))
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
  });
}

function compare(records: TraceRecord[], expected: TraceRecord[]): void {
  expect(records.length).toBe(expected.length);
  records.forEach((r, k) => {
    const e = expected[k];
    expect(r.step).toBe(e.step);
    for (const key of ['w', 'h', 'beta', 'alpha', 'z'] as const) expectClose(r[key], e[key], `step ${e.step} ${key}`);
  });
}

beforeAll(async () => {
  await setUpBackend('cpu');
});

describe.each(['auto', 'reference'] as const)('metaoptimize-cases.json (%s kernel)', (impl) => {
  it.each(Object.keys(cases))('%s matches expected', async (name) => {
    const before = tf.memory().numTensors;
    compare(await runTraceCase(cases[name], { impl }), cases[name].expected!);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('S3: meta fixed is the plain optimizer', () => {
  it('the same case with metaOptimize off (plain AdamW, lr 0.05) gives the expected w', async () => {
    const s3 = cases.S3_AdamW_fixed_equals_AdamW;
    const plain = await runTraceCase({ ...s3, optimizer: { ...(s3.optimizer as object), metaOptimize: null } });
    plain.forEach((r, k) => {
      expectClose(r.w, s3.expected![k].w, `step ${r.step} w`);
      expect(r.alpha).toEqual([0.05]);
    });
  });
});

describe('case selection', () => {
  it('accepts one case object, a named case, and refuses an ambiguous file', () => {
    expect(selectCase(cases.T1_AdamW_Lion_scalar, 'x.json').traceCase).toBe(cases.T1_AdamW_Lion_scalar);
    expect(selectCase(cases, 'x.json', 'T2_Lion_Lion_scalar').traceCase).toBe(cases.T2_Lion_Lion_scalar);
    expect(selectCase({ only: cases.T1_AdamW_Lion_scalar }, 'x.json').name).toBe('only');
    expect(() => selectCase(cases, 'x.json')).toThrow(/choose one with --name/);
    expect(() => selectCase(cases, 'x.json', 'nope')).toThrow(/no case named 'nope'/);
  });
});

describe('tools/optim-trace.ts', () => {
  it('prints the expected trajectory of a case as JSON on stdout, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optim-trace-'));
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify(cases.S2_Lion_Adam_layerwise_standard));
    const r = spawnSync('npx', ['tsx', 'tools/optim-trace.ts', '--case', file], { encoding: 'utf8' });
    expect(r.stderr, 'no tfjs banner').toBe('');
    compare(JSON.parse(r.stdout) as TraceRecord[], cases.S2_Lion_Adam_layerwise_standard.expected!);
  });
});
