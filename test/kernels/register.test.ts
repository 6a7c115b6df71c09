// The one kernel list and its set-up call: initBackend alone registers nothing of ours; setUpBackend registers the
// backend's list once, replacing tfjs's own kernels of the same name and keeping them as fallbacks.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/select.js';
import { originalKernel } from '../../src/kernels/override.js';
import { GRADIENTS, KERNELS, registerKernels, setUpBackend } from '../../src/kernels/register.js';
import { BackendError } from '../../src/util/errors.js';

describe('registerKernels', () => {
  it('registers the cpu list only after setUpBackend, once', async () => {
    await initBackend('cpu');
    const own = tf.getKernel('BatchMatMul', 'cpu')!.kernelFunc;
    expect(tf.getKernel('NanometaOptimStep', 'cpu')).toBeUndefined(); // backend/ imports no kernels
    await setUpBackend('cpu');
    for (const config of KERNELS.cpu)
      expect(tf.getKernel(config.kernelName, 'cpu')?.kernelFunc).toBe(config.kernelFunc);
    expect(originalKernel('BatchMatMul', 'cpu')).toBe(own);
    for (const grad of GRADIENTS) expect(tf.getGradient(grad.kernelName)).toBeDefined();
    registerKernels('cpu'); // a second call keeps the first replacement's fallback (not our own kernel)
    expect(originalKernel('BatchMatMul', 'cpu')).toBe(own);
  });

  it('refuses a backend that is not initialised', () => {
    expect(() => registerKernels('webgpu-not-here')).toThrow(BackendError);
    expect(() => registerKernels('webgpu-not-here')).toThrow(/not initialised/);
  });

  it('names custom kernels with the one Nanometa prefix and lists each for its own backend', () => {
    for (const [backend, configs] of Object.entries(KERNELS)) {
      for (const { kernelName, backendName } of configs) {
        expect(backendName).toBe(backend);
        expect(kernelName.startsWith('Nanometa') || /^_?[A-Z][A-Za-z]+$/.test(kernelName)).toBe(true);
      }
      const names = configs.map((c) => c.kernelName);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(
      KERNELS.cpu
        .filter((c) => !c.kernelName.startsWith('Nanometa'))
        .map((c) => c.kernelName)
        .sort(),
    ).toEqual(['Add', 'BatchMatMul', 'Multiply', 'RealDiv', 'Softmax', 'Sub', '_FusedMatMul']);
  });
});
