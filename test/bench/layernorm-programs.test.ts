// bench/layernorm/programs.ts on the Mesa software adapter: the LayerNorm backward as tfjs programs gives the
// float64 loop's dx (+ dres), dweight and dbias in 3-4 dispatches, and its undo brings src's raw passes back.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useLayerNormGradPrograms } from '../../bench/layernorm/programs.js';
import { stepVariants } from '../../bench/step-variants.js';
import { testBackends } from '../backend/available.js';
import { GRAD_SHAPES, expectGradKernel, gradDispatches, gradInputs } from '../kernels/layernorm-grad.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

describe.skipIf(webgpu.skip)(`bench/layernorm programs on ${webgpu.label}`, () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it('matches the float64 loop, with 4 dispatches with a bias and 3 without; the undo restores 2', async () => {
    const inputs = gradInputs(1031, 48);
    const dispatches = (withBias: boolean) => gradDispatches(inputs, withBias);
    const undo = useLayerNormGradPrograms();
    try {
      for (const [i, [rows, cols]] of GRAD_SHAPES.entries()) await expectGradKernel(rows, cols, 100 * i + 1);
      expect(await dispatches(true)).toBe(4);
      expect(await dispatches(false)).toBe(3);
    } finally {
      undo();
    }
    expect(await dispatches(true)).toBe(2);
    tf.dispose(Object.values(inputs));
    expect(() => stepVariants(['lnprograms', 'flash'])).toThrow(/--variant flash: not a step variant \(lnprograms\)/);
  });
});
