// The WebGPU raw passes of the learning-rate-free optimizers (kernels/lrfree-step/webgpu.ts) against the
// stock-op reference on the Mesa software adapter: every pass, with and without gs and weight decay, over a
// size that spans several workgroups (ragged last one); outputs written in place and the sums alike.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lrFreePass, PASS_IO, type LrFreeInputs } from '../../src/kernels/lrfree-step/index.js';
import { CASES, caseAttrs, caseInputs, expectAllClose } from './lrfree-step-cases.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const SHAPE = [37, 129]; // 4773 elements: two workgroups, a ragged last one

describe.skipIf(webgpu.skip)('NanometaLrFreeStepInPlace (WebGPU) vs reference (software adapter)', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(CASES)('$pass gs=$gs wd=$wd first=$first', async ({ pass, gs, wd, first }) => {
    const attrs = caseAttrs(pass, wd, first, { inPlace: true });
    const [forRef, forGpu] = [caseInputs(pass, gs, first, SHAPE), caseInputs(pass, gs, first, SHAPE)];
    const before = tf.memory().numTensors;
    const ref = lrFreePass(forRef, attrs, 'reference');
    const profile = await tf.profile(() => lrFreePass(forGpu, attrs, 'auto') as unknown as tf.TensorContainer);
    const out = profile.result as unknown as Record<string, tf.Tensor>;
    expect(profile.kernels.map((k) => k.name)[0]).toBe('NanometaLrFreeStepInPlace');
    for (const name of PASS_IO[pass].outputs) {
      if (name === 'sums') await expectAllClose(out.sums, ref.sums!, 'sums', 2e-5);
      else {
        expect(out[name], `${name} is written in place, not returned`).toBeUndefined();
        await expectAllClose(forGpu[name as keyof LrFreeInputs]!, ref[name]!, name, 1e-5);
      }
    }
    tf.dispose([...Object.values(ref), ...Object.values(out)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...Object.values(forRef), ...Object.values(forGpu)]);
  });
});
