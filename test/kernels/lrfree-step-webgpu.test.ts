// The WebGPU raw passes of the learning-rate-free optimizers (kernels/lrfree-step/webgpu.ts) against the
// stock-op reference on the Mesa software adapter: every pass, with and without gs and weight decay, over a
// size that spans several workgroups (ragged last one); outputs written in place and the sums alike.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultAttrs,
  lrFreePass,
  PASS_IO,
  type LrFreeInputs,
  type LrFreePass,
} from '../../src/kernels/lrfree-step/index.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const COEF: Record<LrFreePass, number[]> = {
  sf: [],
  'prodigy-acc': [0.09, 0.0008, 0.7],
  'prodigy-apply': [0.02, 3e-9],
  'dog-norms': [],
  'dog-apply': [0.015],
  dadapt: [0.04],
  'mechanic-sums': [0.97],
  'mechanic-apply': [0.97, 1.3e-4, 2.1e-4],
};
const CASES = (Object.keys(PASS_IO) as LrFreePass[]).flatMap((pass) => [
  { pass, gs: false, wd: 0, first: false },
  { pass, gs: true, wd: 0.1, first: false },
  ...(pass === 'dog-norms' ? [{ pass, gs: false, wd: 0, first: true }] : []),
]);

function makeInputs(pass: LrFreePass, gs: boolean, first: boolean): LrFreeInputs {
  const shape = [37, 129]; // 4773 elements: two workgroups, a ragged last one
  const t: LrFreeInputs = {};
  PASS_IO[pass].inputs.forEach((name, k) => {
    if (name === 'coef' || (first && name === 'x0')) return;
    t[name] = tf.tidy(() => {
      const x = tf.randomNormal(shape, 0, name === 'delta' ? 1e-3 : 0.5, 'float32', 10 + k);
      return name === 'v' ? tf.abs(x) : x;
    });
  });
  if (COEF[pass].length) t.coef = tf.tensor1d(COEF[pass]);
  if (gs) t.gs = tf.tensor1d([0.6]);
  return t;
}

async function expectAllClose(a: tf.Tensor, b: tf.Tensor, what: string, rel: number): Promise<void> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const tol = rel * Math.max(1, Math.abs(y[i]));
    if (!(Math.abs(x[i] - y[i]) <= tol)) throw new Error(`${what}[${i}]: webgpu ${x[i]} vs reference ${y[i]}`);
  }
}

describe.skipIf(webgpu.skip)('NanometaLrFreeStepInPlace (WebGPU) vs reference (software adapter)', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(CASES)('$pass gs=$gs wd=$wd first=$first', async ({ pass, gs, wd, first }) => {
    const attrs = defaultAttrs(pass, {
      lr: 0.05,
      c: 0.25,
      beta1: 0.9,
      beta2: 0.999,
      beta3: Math.sqrt(0.999),
      bc2: 1 - 0.999 ** 3,
      eps: 1e-8,
      wd,
      first,
      avgWeight: pass === 'dog-apply' && wd === 0 ? 1 : 0.5,
      inPlace: true,
    });
    const [forRef, forGpu] = [makeInputs(pass, gs, first), makeInputs(pass, gs, first)];
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
