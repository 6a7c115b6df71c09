// GEMM autotuning (kernels/matmul/tune.ts) on the Mesa software adapter: recording the products of a run,
// choosing among the candidates by an injected timer (tests do not time things), the planner's choice kept
// unless clearly beaten, runGemm using the choice (results unchanged), the per-device cache file, no leaks.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countDispatches } from '../../src/backend/webgpu-raw.js';
import { GemmProgram, gemmWorkgroupBytes, planGemm } from '../../src/kernels/matmul/program.js';
import { adoptTunedGemms, gemmKey, loadTunedGemms, resetGemmTuning, startGemmRecording, tuneCandidates, tuneGemms, type GemmCall, type GemmChoice, type GemmMeasure, type TuneOptions } from '../../src/kernels/matmul/tune.js';
import { runGemm, tuneWebGPUGemms, webgpuErrorScope } from '../../src/kernels/matmul/webgpu.js';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const same = (a: GemmChoice, b: GemmChoice) => a.tile === b.tile && a.splitK === b.splitK && a.variant === b.variant;
const dispatchesOf = (c: GemmChoice) => (c.splitK > 1 ? 2 : 1); // a split adds its reduction

/** A timer that runs each candidate once (exercising the runner) and reports `ms(choice)`; logs what it saw. */
function fakeMeasure(ms: (c: GemmChoice) => number, seen: GemmChoice[] = []): GemmMeasure {
  return async (product, _call, choice) => {
    const out = product();
    await tf.backend().read(out.dataId);
    tf.backend().disposeData(out.dataId);
    seen.push(choice);
    return ms(choice);
  };
}

describe.skipIf(webgpu.skip)('GEMM autotuning on the software adapter', () => {
  beforeAll(async () => {
    await webgpu.init();
  });
  afterEach(() => resetGemmTuning());

  // x (70, 1200) · W (67, 1200)ᵀ: K long enough for K splits among the candidates.
  const [M, N, K] = [70, 67, 1200];
  const x = () => tf.tensor(floats(M * K, 1), [M, K]);
  const w = () => tf.tensor(floats(N * K, 2), [N, K]);
  const call: GemmCall = { shape: { batch: 1, M, N, K, strideA: 0, strideB: 0, splitK: 1 }, transA: false, transB: true, addend: 'none', gelu: 'none' };
  const plan = tuneCandidates(call)[0];
  /** A candidate that runs a different number of dispatches than the plan (observable), with the given inner loop. */
  const other = (variant: GemmChoice['variant']) => {
    const differ = tuneCandidates(call).filter((c) => dispatchesOf(c) !== dispatchesOf(plan));
    return differ.find((c) => c.variant === variant) ?? differ[0];
  };

  it('lists the planner\'s plan first, then other plans, the first three with the six tuned inner loops, no duplicates', () => {
    const candidates = tuneCandidates(call, 4);
    expect(plan).toEqual({ ...planGemm(call.shape), variant: 'vec4' });
    expect(candidates[0]).toEqual({ ...plan, variant: 'vec4' });
    expect(candidates[1]).toEqual({ ...plan, variant: 'prefetch' });
    expect(candidates[2]).toEqual({ ...plan, variant: 'deep' });
    expect(candidates[3]).toEqual({ ...plan, variant: 'wide' });
    expect(candidates[4]).toEqual({ ...plan, variant: 'double' });
    expect(candidates[5]).toEqual({ ...plan, variant: 'unrolled' });
    expect(candidates).toHaveLength(3 * 6 + 1); // the fourth plan: vec4 only
    expect(candidates[18].variant).toBe('vec4');
    expect(new Set(candidates.map((c) => `${c.tile} ${c.splitK} ${c.variant}`)).size).toBe(19);
    const plans = new Set(tuneCandidates(call).map((c) => `${c.tile} ${c.splitK}`)).size; // up to seven by default
    expect(plans).toBeGreaterThan(4);
    expect(tuneCandidates(call)).toHaveLength(3 * 6 + plans - 3);
    expect(new Set(tuneCandidates(call).map((c) => c.tile)).size).toBe(5); // every tile at its best split
    expect(candidates.some((c) => c.splitK > 1)).toBe(true);
  });

  it('records a step\'s products, keeps the fastest candidate, and runs it from then on with the same results', async () => {
    const a = x(), b = w();
    const before = await tf.matMul(a, b, false, true).data();
    const untuned = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(untuned.dispatches).toBe(dispatchesOf(plan));
    untuned.result.dispose();

    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    tf.matMul(a, b, false, true).dispose(); // the same product again: recorded once
    const numTensors = tf.memory().numTensors, dataIds = tf.backend().numDataIds();
    const winner = other('prefetch');
    expect(winner).toBeDefined();
    const seen: GemmChoice[] = [];
    const report = await tuneWebGPUGemms({ device: 'test', cacheFile: null, topPlans: 6, measure: fakeMeasure((c) => (same(c, winner) ? 1 : 2), seen) });
    expect(tf.memory().numTensors).toBe(numTensors); // inputs freed
    expect(tf.backend().numDataIds()).toBe(dataIds); // and every product's output (not tensors: backend data)
    expect(report).toMatchObject({ products: 1, tuned: 1, cached: 0, changed: 1 });
    expect(seen.some((c) => same(c, winner))).toBe(true);
    expect(seen.some((c) => c.variant === 'deep')).toBe(true);
    expect(seen.some((c) => c.variant === 'wide')).toBe(true); // x and Wᵀ are contiguous along K = 1200: vec4 reads
    // 128x128 'deep' needs 33.8 KB: timed only where the device allows that much workgroup memory.
    const limit = (tf.backend() as WebGPUBackend).device.limits.maxComputeWorkgroupStorageSize;
    expect(seen.some((c) => c.variant === 'deep' && c.tile === '128x128')).toBe(gemmWorkgroupBytes('128x128', 'deep') <= limit);

    const tuned = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(tuned.dispatches).toBe(dispatchesOf(winner)); // the tuned choice runs
    expectClose(await tuned.result.data(), before, 1e-4); // another summation order
    tf.dispose([tuned.result, a, b]);
  });

  it('keeps the planner\'s choice when no candidate is clearly faster', async () => {
    const a = x(), b = w();
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    // The observable other candidates 1% faster: within the margin.
    const report = await tuneWebGPUGemms({ device: 'test', cacheFile: null,
      measure: fakeMeasure((c) => (same(c, plan) ? 1 : dispatchesOf(c) !== dispatchesOf(plan) ? 0.99 : 1.5)) });
    expect(report).toMatchObject({ products: 1, tuned: 1, changed: 0 });
    const kept = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(kept.dispatches).toBe(dispatchesOf(plan));
    tf.dispose([kept.result, a, b]);
  });

  it('caches choices per device in a JSON file and reuses them without timing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-tune-'));
    const cacheFile = join(dir, 'sub', 'gemm-tune.json');
    const a = x(), b = w();
    const winner = other('vec4');
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    await tuneWebGPUGemms({ device: 'gpu A', cacheFile, measure: fakeMeasure((c) => (same(c, winner) ? 1 : 2)) });
    const file = JSON.parse(readFileSync(cacheFile, 'utf8'));
    expect(file.devices['gpu A'][gemmKey(call)]).toEqual(winner);

    resetGemmTuning();
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    const never: GemmMeasure = async () => { throw new Error('timed although cached'); };
    const report = await tuneWebGPUGemms({ device: 'gpu A', cacheFile, measure: never });
    expect(report).toMatchObject({ products: 1, tuned: 0, cached: 1, changed: 1 });
    const cached = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(cached.dispatches).toBe(dispatchesOf(winner));
    cached.result.dispose();

    // Loaded before a first step (a resumed run): the cached kernels run at once, no recording, no timing.
    resetGemmTuning();
    expect(loadTunedGemms('gpu A', cacheFile)).toBe(1);
    expect(loadTunedGemms('gpu C', cacheFile)).toBe(0);
    const loaded = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(loaded.dispatches).toBe(dispatchesOf(winner));
    loaded.result.dispose();

    // Another device is tuned on its own; a corrupt file is tuned again and rewritten.
    resetGemmTuning();
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    expect((await tuneWebGPUGemms({ device: 'gpu B', cacheFile, measure: fakeMeasure(() => 1) })).tuned).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(cacheFile, 'utf8')).devices)).toEqual(['gpu A', 'gpu B']);
    writeFileSync(cacheFile, '{ not json');
    resetGemmTuning();
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    expect((await tuneWebGPUGemms({ device: 'gpu A', cacheFile, measure: fakeMeasure(() => 1) })).tuned).toBe(1);
    expect(JSON.parse(readFileSync(cacheFile, 'utf8')).version).toBe(1);
    tf.dispose([a, b]);
  });

  it('tunes with the wall clock too (choice not asserted: tests do not time), results unchanged', async () => {
    const a = x(), b = w();
    const want = await tf.matMul(a, b, false, true).data();
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    const report = await tuneWebGPUGemms({ device: 'test', cacheFile: null, topPlans: 2 });
    expect(report).toMatchObject({ products: 1, tuned: 1 });
    const got = tf.matMul(a, b, false, true);
    expectClose(await got.data(), want, 1e-4);
    tf.dispose([got, a, b]);
  });

  it('frees the random inputs of products with addends (bias row, accumulation)', async () => {
    const a = x(), b = w(), bias = tf.tensor(floats(N, 3)), acc = tf.tensor(floats(M * N, 4), [M, N]);
    startGemmRecording();
    tf.fused.matMul({ a, b, transposeB: true, bias }).dispose();
    tf.fused.matMul({ a, b, transposeB: true, bias: acc }).dispose();
    const numTensors = tf.memory().numTensors;
    const report = await tuneWebGPUGemms({ device: 'test', cacheFile: null, topPlans: 1, measure: fakeMeasure(() => 1) });
    expect(report).toMatchObject({ products: 2, tuned: 2 });
    expect(tf.memory().numTensors).toBe(numTensors);
    tf.dispose([a, b, bias, acc]);
  });

  it('skips candidates that throw or disagree with the plan, frees everything, and falls back to the plan', async () => {
    const a = x(), b = w();
    const backend = tf.backend() as WebGPUBackend;
    const candidates = tuneCandidates(call);
    const [broken, wrong] = [candidates[6], candidates[7]];
    // `wrong` sums over 4 fewer k: a shader that computed something else; `broken` throws.
    const run: TuneOptions['run'] = (inputs, c, choice) => {
      if (same(choice, broken)) throw new Error('pipeline failed');
      const shape = same(choice, wrong) ? { ...c.shape, K: c.shape.K - 4 } : c.shape;
      return runGemm(backend, inputs[0], inputs[1], shape, c.transA, c.transB, c.addend, inputs.slice(2), c.gelu, choice);
    };
    const lines: string[] = [];
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    const numTensors = tf.memory().numTensors, dataIds = backend.numDataIds();
    // The timer would pick either of them.
    await tuneGemms({ device: 'test', cacheFile: null, run, log: (l) => lines.push(l), measure: fakeMeasure((c) => (same(c, broken) || same(c, wrong) ? 0.1 : same(c, plan) ? 1 : 2)) });
    expect(lines.some((l) => l.includes('failed (pipeline failed); skipped'))).toBe(true);
    expect(lines.some((l) => l.includes('disagrees with the plan'))).toBe(true);
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(backend.numDataIds()).toBe(dataIds);
    const kept = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(kept.dispatches).toBe(dispatchesOf(plan)); // neither was chosen: the plan stays
    kept.result.dispose();

    // Every candidate failing: the plan, no crash.
    resetGemmTuning();
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    const report = await tuneGemms({ device: 'test', cacheFile: null, run: () => { throw new Error('no device'); }, measure: fakeMeasure(() => 1) });
    expect(report).toMatchObject({ products: 1, tuned: 1, changed: 0 });
    tf.dispose([a, b]);
  });

  it('skips a candidate the device rejects, though its recycled output buffer may still hold a right answer', async () => {
    const backend = tf.backend() as WebGPUBackend;
    // 128x128 'double' declares 33.8 KB of workgroup memory: over this adapter's 32 KiB, so Dawn rejects it.
    expect(gemmWorkgroupBytes('128x128', 'double')).toBeGreaterThan(backend.device.limits.maxComputeWorkgroupStorageSize);
    const a = x(), b = w();
    const victim = tuneCandidates(call).find((c) => c.variant === 'double' && c.tile !== '128x128')!;
    const run: TuneOptions['run'] = (inputs, c, choice) => {
      if (same(choice, victim)) { // bypass runGemm's fallback: run what the device cannot
        const program = new GemmProgram(c.shape, c.transA, c.transB, '128x128', 'none', 'double');
        return backend.runWebGPUProgram(program, [inputs[0], inputs[1]], 'float32', program.uniformData());
      }
      return runGemm(backend, inputs[0], inputs[1], c.shape, c.transA, c.transB, c.addend, inputs.slice(2), c.gelu, choice);
    };
    const lines: string[] = [];
    startGemmRecording();
    tf.matMul(a, b, false, true).dispose();
    await tuneGemms({ device: 'test', cacheFile: null, run, errorScope: webgpuErrorScope(backend), log: (l) => lines.push(l),
      measure: fakeMeasure((c) => (same(c, victim) ? 0.1 : same(c, plan) ? 1 : 2)) });
    expect(lines.some((l) => l.includes(`${victim.tile}`) && l.includes('rejected by the device'))).toBe(true);
    const kept = await countDispatches(async () => tf.matMul(a, b, false, true));
    expect(kept.dispatches).toBe(dispatchesOf(plan)); // the plan, not the rejected "fastest"
    tf.dispose([kept.result, a, b]);
  });

  it('drops cache entries this code cannot run (a stale or edited file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-tune-'));
    const cacheFile = join(dir, 'gemm-tune.json');
    writeFileSync(cacheFile, JSON.stringify({ version: 1, devices: { d: {
      [gemmKey(call)]: { tile: '256x256', splitK: 1, variant: 'vec4' }, other: { tile: '96x96', splitK: 0.5, variant: 'vec4' },
      fine: { tile: '96x96', splitK: 2, variant: 'deep' } } } }));
    expect(loadTunedGemms('d', cacheFile)).toBe(1); // only 'fine'
    expect(adoptTunedGemms({ [gemmKey(call)]: { tile: '128x96', splitK: 3, variant: 'nope' } })).toBe(0);
  });

  it('does nothing when nothing was recorded', async () => {
    const report = await tuneWebGPUGemms({ device: 'test', cacheFile: null, measure: async () => { throw new Error('no products'); } });
    expect(report).toMatchObject({ products: 0, tuned: 0, cached: 0, changed: 0 });
  });
});
