// The fused kernel of NanometaLrFreeStep (cpu; wasm: the cpu loops over heap copies) against its stock-op reference
// on random tensors: every pass, with and without the clipping scale gs and weight decay, outputs and sums alike.
// (WebGPU's in-place pass: lrfree-step-webgpu.test.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { testBackends } from '../backend/available.js';
import { LRFREE_STEP_KERNEL, lrFreePass, PASS_IO } from '../../src/kernels/lrfree-step/index.js';
import { CASES, caseAttrs, caseInputs, expectAllClose } from './lrfree-step-cases.js';

const BACKENDS = (await testBackends()).filter((b) => b.label.startsWith('cpu') || b.label.startsWith('wasm'));

describe.each(BACKENDS)('NanometaLrFreeStep kernel vs reference on $label', ({ init, skip }) => {
  it.skipIf(!!skip).each(CASES)('$pass gs=$gs wd=$wd first=$first', async ({ pass, gs, wd, first }) => {
    await init();
    expect(
      tf.getKernel(LRFREE_STEP_KERNEL, tf.getBackend()),
      'the kernel, not the reference, runs as auto',
    ).toBeDefined();
    const inputs = caseInputs(pass, gs, first, [7, 33]);
    const attrs = caseAttrs(pass, wd, first);
    const before = tf.memory().numTensors;
    const fast = lrFreePass(inputs, attrs, 'auto');
    const ref = lrFreePass(inputs, attrs, 'reference');
    expect(Object.keys(fast).sort()).toEqual([...PASS_IO[pass].outputs].sort());
    expect(Object.keys(ref).sort()).toEqual([...PASS_IO[pass].outputs].sort());
    for (const name of PASS_IO[pass].outputs)
      await expectAllClose(fast[name]!, ref[name]!, name, name === 'sums' ? 1e-5 : 2e-6);
    tf.dispose([...Object.values(fast), ...Object.values(ref)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });
});
