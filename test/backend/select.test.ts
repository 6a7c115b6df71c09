// initBackend: each named backend starts (WebGPU on the software adapter), auto falls back (and says why), errors carry hints.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, type BackendChoice } from '../../src/backend/select.js';
import { setUpBackend } from '../../src/kernels/register.js';
import { BackendError } from '../../src/util/errors.js';
import { testBackends } from './available.js';

const webgpu = (await testBackends())[1];
const wasm = (await testBackends())[2];

describe('initBackend', () => {
  afterEach(() => {
    delete process.env.NANOMETA_WEBGPU_SOFTWARE;
  });

  it('cpu: activates tfjs cpu, registers none of our kernels (setUpBackend does), says it is software', async () => {
    const info = await initBackend('cpu');
    expect(info).toMatchObject({ name: 'cpu', isSoftware: true });
    expect(info.device).toMatch(/cpu/);
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.getKernel('NanometaEmbeddingGrad', 'cpu')).toBeUndefined();
    expect(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).data()).toEqual(new Float32Array([11]));
  });

  it('registers gradients, so tf.grad works', async () => {
    await initBackend('cpu');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2]));
    expect(Array.from(await g.data())).toEqual([2, -4]);
  });

  it.skipIf(webgpu.skip)(`webgpu software adapter: ${webgpu.label}`, async () => {
    const info = await initBackend('webgpu', { software: true });
    expect(info).toMatchObject({ name: 'webgpu', isSoftware: true });
    expect(info.device).toMatch(/llvmpipe|Mesa/i);
    expect(tf.getBackend()).toBe('webgpu');
    const y = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([[5], [6]]),
    );
    expect(Array.from(await y.data())).toEqual([17, 39]);
    // Switching away and back reuses the same device.
    await initBackend('cpu');
    expect((await initBackend('webgpu', { software: true })).device).toBe(info.device);
  });

  it.skipIf(webgpu.skip)('webgpu: a sync read of a GPU result is a BackendError telling to read async', async () => {
    await initBackend('webgpu', { software: true });
    const uploaded = tf.range(0, 4096); // big enough that tfjs runs the add on the GPU, not its CPU forward path
    expect(uploaded.dataSync()[4095]).toBe(4095); // still has its CPU copy
    const computed = tf.add(uploaded, 1);
    const err = (() => {
      try {
        computed.dataSync();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).hint).toMatch(/await tensor\.data\(\)/);
    expect(Array.from((await computed.data()).slice(0, 3))).toEqual([1, 2, 3]);
  });

  it.skipIf(webgpu.skip)('NANOMETA_WEBGPU_SOFTWARE=1 selects the software adapter', async () => {
    process.env.NANOMETA_WEBGPU_SOFTWARE = '1';
    const info = await initBackend('webgpu');
    expect(info).toMatchObject({ name: 'webgpu', isSoftware: true });
  });

  it('tensorflow without tfjs-node installed: BackendError naming both packages, with an install hint', async () => {
    const err = await initBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node/);
    expect((err as BackendError).hint).toMatch(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  });

  it('auto never picks a software WebGPU adapter; without tfjs-node or a GPU it is wasm', async () => {
    const info = await initBackend('auto');
    expect(['wasm', 'webgpu', 'tensorflow']).toContain(info.name);
    if (info.name === 'webgpu') expect(info.isSoftware).toBe(false);
    expect(info.fallback).toBeUndefined();
    expect(tf.getBackend()).toBe(info.name);
  });

  it.skipIf(wasm.skip)(
    'wasm: activates tfjs-backend-wasm (XNNPACK, SIMD); setUpBackend adds the custom kernels',
    async () => {
      const info = await setUpBackend('wasm');
      expect(info).toMatchObject({ name: 'wasm', isSoftware: true });
      expect(info.device).toMatch(/XNNPACK, SIMD, nanometa's SIMD kernels, 1 thread/);
      expect(tf.getBackend()).toBe('wasm');
      expect(tf.getKernel('NanometaLinear', 'wasm')).toBeDefined();
      expect(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]), false, true).data()).toEqual(
        new Float32Array([11]),
      );
    },
  );

  it('wasm with its binary missing: a BackendError naming the file; auto falls back to cpu and says why', async () => {
    const wasmDir = mkdtempSync(join(tmpdir(), 'nanometa-no-wasm-')); // an install whose .wasm files are gone
    const err = await initBackend('wasm', { wasmDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(
      /wasm backend's binary .*nanometa-no-wasm-.*tfjs-backend-wasm(-simd)?\.wasm is missing/,
    );
    expect((err as BackendError).hint).toMatch(/npm install @tensorflow\/tfjs-backend-wasm@4\.22\.0.*--backend cpu/);
    const info = await initBackend('auto', { wasmDir });
    if (info.name === 'cpu') {
      expect(info.fallback).toMatch(
        /^wasm backend unavailable \(the wasm backend's binary .* is missing\); using cpu$/,
      );
      expect(tf.getBackend()).toBe('cpu');
    } else expect(['webgpu', 'tensorflow']).toContain(info.name); // a machine with a GPU or tfjs-node never tries wasm
  });

  it.skipIf(wasm.skip)(
    "wasm with nanometa's SIMD kernels missing: a BackendError naming the file and the fix",
    async () => {
      const simdFile = join(mkdtempSync(join(tmpdir(), 'nanometa-no-simd-')), 'simd.wasm');
      const err = await initBackend('wasm', { simdFile }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as BackendError).message).toMatch(/SIMD kernels .*nanometa-no-simd-.*simd\.wasm are missing/);
      expect((err as BackendError).hint).toMatch(/npm run build:simd/);
    },
  );

  it('rejects an unknown backend name with the allowed ones', async () => {
    const err = await initBackend('metal' as BackendChoice).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/unknown backend 'metal'/);
    expect((err as BackendError).hint).toMatch(/auto, cpu, wasm, webgpu, tensorflow/);
  });
});
