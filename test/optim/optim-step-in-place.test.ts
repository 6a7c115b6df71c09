// The WebGPU one-pass optimizer step `NanometaOptimStepInPlace` (kernels/optim-step/in-place.ts) on the Mesa
// software adapter: the same numbers as the stock-op reference for every base, both conventions, traced or
// not, with the gradient scale and a step size from a tensor; partial sums at their offsets; an optimizer
// really steps in place (same storage), and falls back to the programs when a tensor is shared.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canStepInPlace,
  newPartials,
  partialCount,
  optimStep,
  optimStepInPlace,
} from '../../src/kernels/optim-step/index.js';
import { setFlag } from '../../src/flags.js';
import { kernelAttrs, resolveBaseSpec } from '../../src/optim/base-spec.js';
import { createOptimizer } from '../../src/optim/create.js';
import { OptimizerSchema } from '../../src/config/schema.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;
const BASES = ['adamw', 'lion', 'sgdm', 'sgd', 'rmsprop'] as const;
const CASES = BASES.flatMap((base) =>
  (['standard', 'reference'] as const).flatMap((convention) =>
    [true, false].map((traced) => ({ base, convention, traced })),
  ),
);

async function expectClose(a: tf.Tensor | number[], b: tf.Tensor | number[], what: string, rtol = 1e-5): Promise<void> {
  const [x, y] = [Array.isArray(a) ? a : await a.data(), Array.isArray(b) ? b : await b.data()];
  expect(x.length, what).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(x[i] - y[i]) <= rtol * Math.max(1, Math.abs(y[i]))))
      throw new Error(`${what}[${i}]: in place ${x[i]} vs reference ${y[i]}`);
  }
}

describe.skipIf(webgpu.skip)('NanometaOptimStepInPlace (software adapter)', () => {
  beforeAll(async () => {
    await webgpu.init();
  });

  it.each(CASES)('$base $convention traced=$traced = the reference', async ({ base, convention, traced }) => {
    const shapes = [[37, 129], [300]]; // 4773 elements (two partials, a ragged last workgroup), then 300 at offset 2
    const spec = resolveBaseSpec({ type: base, weightDecay: 0.1 }, convention);
    const gs = tf.scalar(0.37);
    const a = tf.tensor1d([9, 0.03]);
    const partials = traced ? newPartials(partialCount(37 * 129) + partialCount(300)) : undefined;
    const refs: tf.Tensor[] = [];
    const zs: number[] = [];
    let partOffset = 0;
    const vars = shapes.map((shape, k) =>
      tf.tidy(() =>
        [1, 2, 3, 4, 5].map((seed) => {
          const t = tf.randomNormal(shape, 0, seed === 4 ? 0.2 : 0.5, 'float32', seed + 10 * k);
          return tf.variable(seed === 4 ? tf.abs(t) : t, false);
        }),
      ),
    );
    for (const [w, g, m, v, h] of vars) {
      const attrs = { ...kernelAttrs(spec, 0, 0.1, 3, traced ? { gamma: 0.95 } : null), alphaIndex: 1 };
      const ref = optimStep({ w, g, m, v, h: traced ? h : undefined, gs, a }, attrs, 'reference');
      if (ref.z) zs.push((await ref.z.data())[0]);
      expect(canStepInPlace([w, m, v, h])).toBe(true);
      optimStepInPlace(
        { w, g, m: ref.m ? m : undefined, v: ref.v ? v : undefined, h: traced ? h : undefined, gs, a },
        { ...attrs, partOffset },
        partials,
      );
      partOffset += partialCount(w.size);
      await expectClose(w, ref.w, `${base} w`);
      if (ref.m) await expectClose(m, ref.m, `${base} m`);
      if (ref.v) await expectClose(v, ref.v, `${base} v`);
      if (ref.h) await expectClose(h, ref.h, `${base} h`);
      refs.push(...Object.values(ref));
    }
    if (partials) {
      const p = await partials.data();
      const sums = [p[0] + p[1], p[2]];
      await expectClose(sums, zs, `${base} z partials`, 1e-4);
      partials.dispose();
    }
    tf.dispose([gs, a, ...refs, ...vars.flat()]);
  });

  it('an optimizer steps in place (same storage) with the numbers of the program path; a shared tensor falls back', async () => {
    const cfg = OptimizerSchema.parse({
      base: { type: 'adamw', weightDecay: 0.1 },
      lr: 1e-3,
      metaOptimize: { meta: { type: 'lion', lr: 0.02 }, blocks: 'layerwise' },
    });
    const run = async (inPlace: boolean, share: boolean) => {
      setFlag('optimStep', inPlace ? 'in-place' : 'programs');
      const params = new Map([
        ['a.weight', tf.variable(tf.randomNormal([64, 80], 0, 1, 'float32', 1), true, 'ip.a')],
        ['b.bias', tf.variable(tf.randomNormal([80], 0, 1, 'float32', 2), true, 'ip.b')],
      ]);
      const opt = createOptimizer(cfg, params);
      let ids: object[] = [],
        shared: tf.Tensor | null = null,
        kept: unknown = null;
      for (let s = 0; s < 4; s++) {
        const grads = new Map(
          [...params].map(([n, v], i) => [n, tf.randomNormal(v.shape, 0, 1, 'float32', 10 * s + i + 1)]),
        );
        await opt.step(params, grads, 0);
        tf.dispose([...grads.values()]);
        await params.get('a.weight')!.data(); // tfjs keeps a CPU copy of what was read: the next in-place step must not leave it stale
        if (s === 0) {
          // the first step replaced the storage the initial random tensors still shared; from now on it is exclusive
          ids = [...params.values()].map((v) => v.dataId);
          shared = share ? tf.clone(params.get('a.weight')!) : null;
          kept = shared ? await shared.data() : null;
        }
      }
      const same = [...params.values()].map((v, i) => v.dataId === ids[i]);
      if (shared) {
        expect(await shared.data(), 'a tensor sharing storage with a parameter is never written').toEqual(kept);
        shared.dispose();
      }
      const lr = (await opt.sync!()).lr!;
      const w = await Promise.all([...params.values()].map((v) => v.data()));
      opt.dispose();
      params.forEach((v) => v.dispose());
      setFlag('optimStep', null);
      return { same, lr, w };
    };
    const programs = await run(false, false);
    const inPlace = await run(true, false);
    const fallback = await run(true, true);
    expect(programs.same).toEqual([false, false]);
    expect(inPlace.same).toEqual([true, true]);
    expect(fallback.same[0]).toBe(false);
    for (const r of [inPlace, fallback]) {
      await expectClose(r.lr, programs.lr, 'step sizes');
      for (let i = 0; i < 2; i++) await expectClose([...r.w[i]], [...programs.w[i]], `weights ${i}`, 1e-4);
    }
  });
});
