// bench/layernorm/programs.ts on the Mesa software adapter: the LayerNorm backward as tfjs programs gives the
// float64 loop's dx (+ dres), dweight and dbias in 3-4 dispatches, and its undo brings src's raw passes back.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { countDispatches } from '../../src/backend/webgpu-raw.js';
import { useLayerNormGradPrograms } from '../../bench/layernorm/programs.js';
import { stepVariants } from '../../bench/step-variants.js';
import { testBackends } from '../backend/available.js';
import { GRAD_SHAPES, expectGradKernel } from '../kernels/layernorm-grad.js';
import { floats } from '../kernels/util.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

describe.skipIf(webgpu.skip)(`bench/layernorm programs on ${webgpu.label}`, () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it('matches the float64 loop, with 4 dispatches with a bias and 3 without; the undo restores 2', async () => {
    const [N, C] = [1031, 48];
    const inputs: tf.NamedTensorMap = { x: tf.tensor2d(floats(N * C, 7), [N, C]), weight: tf.ones([C]), dy: tf.tensor2d(floats(N * C, 8), [N, C]), dres: tf.ones([N, C]) };
    const dispatches = async (withBias: boolean) => {
      const run = () => tf.engine().runKernel('NanometaLayerNormGrad', inputs, { eps: 1e-5, withBias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      tf.dispose(run()); // warm-up: compiles
      const before = tf.memory().numTensors;
      const { result, dispatches } = await countDispatches(async () => {
        const out = run();
        await out[1].data();
        return out;
      });
      tf.dispose(result);
      expect(tf.memory().numTensors).toBe(before);
      return dispatches;
    };
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
