// The WebGPU programs of NanometaOptimStep (kernels/optim-step/program.ts) against the stock-op reference on the
// Mesa software adapter: every base, both conventions, traced or not, with and without the gradient scale
// gs; and the Σ x² partials used by clipping, over sizes that span several workgroups.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  optimStep,
  sumSquaresPartials,
  traceDotPartials,
  type OptimStepOutputs,
} from '../../src/kernels/optim-step/index.js';
import { kernelAttrs, resolveBaseSpec } from '../../src/optim/base-spec.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const BASES = ['adamw', 'lion', 'sgdm', 'sgd', 'rmsprop'] as const;
const CASES = BASES.flatMap((base) =>
  (['standard', 'reference'] as const).flatMap((convention) =>
    [true, false].map((traced) => ({ base, convention, traced, scaled: traced === (convention === 'standard') })),
  ),
);

async function expectAllClose(a: tf.Tensor, b: tf.Tensor, what: string): Promise<void> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const tol = 1e-5 * Math.max(1, Math.abs(y[i]));
    if (!(Math.abs(x[i] - y[i]) <= tol)) throw new Error(`${what}[${i}]: webgpu ${x[i]} vs reference ${y[i]}`);
  }
}

describe.skipIf(webgpu.skip)('NanometaOptimStep WebGPU kernel vs reference (software adapter)', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(CASES)('$base $convention traced=$traced scaled=$scaled', async ({ base, convention, traced, scaled }) => {
    const shape = [37, 129]; // 4773 elements: two z partials, a ragged last workgroup
    const [w, g, m, v, h] = tf.tidy(() => [
      tf.randomNormal(shape, 0, 1, 'float32', 1),
      tf.randomNormal(shape, 0, 0.5, 'float32', 2),
      tf.randomNormal(shape, 0, 0.3, 'float32', 3),
      tf.abs(tf.randomNormal(shape, 0, 0.2, 'float32', 4)),
      tf.randomNormal(shape, 0, 0.1, 'float32', 5),
    ]);
    const gs = scaled ? tf.scalar(0.37) : undefined;
    const spec = resolveBaseSpec({ type: base, weightDecay: 0.1 }, convention);
    const attrs = kernelAttrs(spec, 0.03, 0.1, 3, traced ? { gamma: 0.95 } : null);
    const inputs = { w, g, m, v, h: traced ? h : undefined, gs };
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => optimStep(inputs, attrs, 'auto') as unknown as tf.TensorContainer);
    const fast = profile.result as unknown as OptimStepOutputs;
    expect(profile.kernels.map((k) => k.name)).toEqual(['NanometaOptimStep']); // one kernel, no stock-op fallback
    const ref = optimStep(inputs, attrs, 'reference');
    const names = Object.keys(ref).sort();
    expect(Object.keys(fast).sort()).toEqual(names);
    for (const name of names) {
      const k = name as keyof OptimStepOutputs;
      if (k === 'z') {
        expect(fast.z!.shape[0]).toBe(2);
        const total = async (t: tf.Tensor) => Array.from(await t.data()).reduce((p, q) => p + q, 0);
        const [a, b] = [await total(fast.z!), await total(ref.z!)];
        expect(Math.abs(a - b)).toBeLessThan(1e-4 * Math.max(1, Math.abs(b)));
      } else await expectAllClose(fast[k]!, ref[k]!, name);
    }
    tf.dispose([...Object.values(fast), ...Object.values(ref)]);
    expect(tf.memory().numTensors).toBe(before + 0);
    tf.dispose([w, g, m, v, h, ...(gs ? [gs] : [])]);
  });

  it('sums x² in partials of 4096 elements', async () => {
    for (const n of [1, 4096, 4097, 10000]) {
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
      const x = tf.tensor1d(data);
      const partials = sumSquaresPartials(x);
      expect(partials.shape[0]).toBe(Math.ceil(n / 4096));
      const got = Array.from(await partials.data()).reduce((a, b) => a + b, 0);
      const want = data.reduce((a, b) => a + b * b, 0);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * want);
      tf.dispose([x, partials]);
    }
  });

  it('NanometaTraceDot sums h·g·gs of 1 to 7 pairs, three per dispatch, in pair order', async () => {
    const sizes = [5000, 7, 4096, 9000, 1, 300, 8193];
    const data = sizes.map((n, p) => [
      Float32Array.from({ length: n }, (_, i) => Math.sin(i + p)),
      Float32Array.from({ length: n }, (_, i) => Math.cos(2 * i - p)),
    ]);
    for (const count of [1, 2, 3, 7]) {
      for (const scale of [undefined, 0.5]) {
        const pairs = data.slice(0, count).map(([h, g]) => [tf.tensor1d(h), tf.tensor1d(g)] as [tf.Tensor, tf.Tensor]);
        const gs = scale === undefined ? undefined : tf.scalar(scale);
        const profile = await tf.profile(() => traceDotPartials(pairs, gs).partials);
        expect(profile.kernels.filter((k) => k.name === 'NanometaTraceDot')).toHaveLength(Math.ceil(count / 3));
        const { partials, lengths } = traceDotPartials(pairs, gs);
        expect(lengths).toEqual(sizes.slice(0, count).map((n) => Math.ceil(n / 4096)));
        const flat = await partials.data();
        let k = 0;
        lengths.forEach((n, p) => {
          let got = 0;
          for (let j = 0; j < n; j++) got += flat[k++];
          const [h, g] = data[p];
          const want = h.reduce((acc, x, i) => acc + x * g[i] * (scale ?? 1), 0);
          expect(Math.abs(got - want), `pair ${p} of ${count}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        });
        tf.dispose([partials, profile.result as tf.Tensor, ...pairs.flat(), ...(gs ? [gs] : [])]);
      }
    }
  });
});
