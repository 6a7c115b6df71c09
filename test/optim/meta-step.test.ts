// MetaOptimize with its state on the device: NanometaOptimStep taking α from a tensor, the NanometaMetaStep kernel
// against the host's float64 meta update (every meta optimizer, both conventions), and MetaOptimize's
// device place against its host place on a tiny GPT — on cpu and on the software WebGPU adapter.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ModelSchema, OptimizerSchema } from '../../src/config/schema.js';
import { buildModel, type GPT } from '../../src/model/gpt.js';
import { optimStep } from '../../src/kernels/optim-step/index.js';
import { COL, metaStep, STATE_COLS } from '../../src/kernels/meta-step/index.js';
import { kernelAttrs, resolveBaseSpec, type BaseSpec } from '../../src/optim/base-spec.js';
import { createOptimizer } from '../../src/optim/create.js';
import { MetaOptimize } from '../../src/optim/metaoptimize/metaoptimize.js';
import { getLr } from '../../src/optim/schedule.js';
import { metaUpdate, resolveMetaSpec, type MetaType } from '../../src/optim/metaoptimize/meta-update.js';
import type { Convention } from '../../src/optim/base-spec.js';
import type { GradMap } from '../../src/optim/types.js';
import { TrainingError } from '../../src/util/errors.js';
import { testBackends } from '../backend/available.js';

const backends = await testBackends();

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol))
      throw new Error(`${what}[${i}]: ${actual[i]} vs expected ${expected[i]}`);
  }
}

const META_TYPES: MetaType[] = ['lion', 'adam', 'rmsprop', 'sgd', 'fixed'];
const META_CASES = META_TYPES.flatMap((type) =>
  (['standard', 'reference'] as Convention[]).map((convention) => ({ type, convention })),
);

describe.each(backends)('meta step on the device: $label', (backend) => {
  it.skipIf(!!backend.skip)('NanometaOptimStep with α from a tensor equals α as an attribute', async () => {
    await backend.init();
    for (const base of ['adamw', 'lion'] as const) {
      const shape = [5, 300];
      const [w, g, m, v, h] = tf.tidy(() =>
        [1, 2, 3, 4, 5].map((seed) => tf.abs(tf.randomNormal(shape, 0, 0.5, 'float32', seed))),
      );
      const spec: BaseSpec = resolveBaseSpec({ type: base, weightDecay: 0.1 });
      const alphas = tf.tensor1d([0.5, 0.02, 7]);
      const byAttr = optimStep({ w, g, m, v, h }, kernelAttrs(spec, 0.02, 0.1, 3, { gamma: 0.9 }));
      const byTensor = optimStep(
        { w, g, m, v, h, a: alphas },
        { ...kernelAttrs(spec, 0, 0.1, 3, { gamma: 0.9 }), alphaIndex: 1 },
      );
      for (const k of ['w', 'm', 'h', 'z'] as const)
        close(await byTensor[k]!.data(), await byAttr[k]!.data(), `${base} ${k}`);
      tf.dispose([w, g, m, v, h, alphas, ...Object.values(byAttr), ...Object.values(byTensor)]);
    }
  });

  it.skipIf(!!backend.skip).each(META_CASES)(
    'NanometaMetaStep = host meta update: $type $convention',
    async ({ type, convention }) => {
      await backend.init();
      const nb = 3,
        t = 4;
      const spec = resolveMetaSpec({ type, lr: 0.05 }, convention);
      const rows = new Float32Array(nb * STATE_COLS);
      const init = [
        [-4, 0.3, 0.2],
        [-9.2, -0.01, 1e-3],
        [-2, 0, 0],
      ]; // β, m̄, v̄ per block; block 2 gets z = 0
      init.forEach(([beta, m, v], b) => {
        rows.set([beta, m, v, Math.exp(beta) * 1.001], b * STATE_COLS);
      });
      const partials = Float32Array.of(0.5, -0.25, 2e-3, 0, -1.5, 0.125, 0);
      const seg = Int32Array.of(0, 1, 0, 2, 1, 0, 2);
      const out = tf.tidy(() =>
        metaStep(
          {
            state: tf.tensor2d(rows, [nb, STATE_COLS]),
            partials: tf.tensor1d(partials),
            seg: tf.tensor1d(seg, 'int32'),
          },
          {
            ...kernelAttrs(
              {
                type: ({ lion: 'lion', adam: 'adamw', rmsprop: 'rmsprop', sgd: 'sgd', fixed: 'sgd' } as const)[type],
                beta1: spec.beta1,
                beta2: spec.beta2,
                momentum: 0,
                eps: spec.eps,
                weightDecay: 0,
                convention,
              },
              spec.lr,
              0,
              t,
              null,
            ),
            moves: type !== 'fixed',
            t,
          },
        ),
      );
      const got = await out.data();
      out.dispose();
      const f32 = (x: number) => Math.fround(x);
      const z = [0, 0, 0];
      seg.forEach((b, j) => (z[b] += partials[j]));
      const host = {
        beta: init.map((r) => f32(r[0])),
        mBar: init.map((r) => f32(r[1])),
        vBar: init.map((r) => f32(r[2])),
      };
      const before = [...host.beta];
      metaUpdate(spec, host, z, t);
      const col = (c: number) => [0, 1, 2].map((b) => got[b * STATE_COLS + c]);
      close(col(COL.beta), host.beta, 'beta');
      close(col(COL.m), host.mBar, 'mBar');
      close(col(COL.v), host.vBar, 'vBar');
      close(col(COL.z), z, 'z');
      close(
        col(COL.used),
        [0, 1, 2].map((b) => rows[b * STATE_COLS + COL.alpha]),
        'used',
        0,
        0,
      );
      const alpha = col(COL.alpha);
      host.beta.forEach((beta, b) => {
        if (beta === before[b])
          expect(alpha[b], `α of unmoved block ${b} kept exactly`).toBe(rows[b * STATE_COLS + COL.alpha]);
        else close([alpha[b]], [Math.exp(beta)], `alpha ${b}`);
      });
      if (type === 'fixed') expect(col(COL.beta)).toEqual(host.beta);
      expect([...col(COL.badZ), ...col(COL.badBeta)]).toEqual([0, 0, 0, 0, 0, 0]);
    },
  );

  it.skipIf(!!backend.skip)('records the first step whose z is not finite', async () => {
    await backend.init();
    const spec = resolveMetaSpec({ type: 'lion', lr: 0.1 }, 'standard');
    const attrs = (t: number) => ({
      ...kernelAttrs(
        {
          type: 'lion',
          beta1: spec.beta1,
          beta2: spec.beta2,
          momentum: 0,
          eps: 0,
          weightDecay: 0,
          convention: 'standard',
        },
        0.1,
        0,
        t,
        null,
      ),
      moves: true,
      t,
    });
    const bad = await tf
      .tidy(() => {
        const seg = tf.tensor1d([0, 1], 'int32');
        const s1 = metaStep({ state: tf.zeros([2, STATE_COLS]), partials: tf.tensor1d([1, NaN]), seg }, attrs(5));
        return metaStep({ state: s1, partials: tf.tensor1d([Infinity, 1]), seg }, attrs(6));
      })
      .data();
    expect([bad[COL.badZ], bad[STATE_COLS + COL.badZ]]).toEqual([6, 5]);
  });
});

const MODEL = ModelSchema.parse({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8 });
const VOCAB = 32;

function grads(model: GPT, step: number): GradMap {
  const vars = [...model.params.values()];
  const g = tf.tidy(() => {
    const ids = Array.from({ length: 18 }, (_, i) => (i * 7 + step * 3 + ((i * i) % 5)) % VOCAB);
    const x = tf.tensor2d([ids.slice(0, 8), ids.slice(9, 17)], [2, 8], 'int32');
    const y = tf.tensor2d([ids.slice(1, 9), ids.slice(10, 18)], [2, 8], 'int32');
    return tf.variableGrads(() => model.loss(x, y), vars).grads;
  });
  return new Map([...model.params].map(([name, v]) => [name, g[v.name]]));
}

const CFG = OptimizerSchema.parse({
  base: { type: 'adamw', weightDecay: 0.1 },
  lr: 1e-3,
  gradClip: 0,
  metaOptimize: { meta: { type: 'lion', lr: 0.02 }, blocks: 'layerwise' },
});

/** The same with a cosine schedule: its shape lr(t) / α0 multiplies the learned step sizes (the envelope). */
const CFG_ENVELOPE = OptimizerSchema.parse({
  ...CFG,
  schedule: { type: 'cosine', warmupSteps: 0, minLr: 1e-4 },
});

/**
 * Steps `steps` times with `cfg` and its scheduled lr; returns the α of every step (read with sync() in the
 * device place), the envelope factors reported, and the weights.
 */
async function run(
  place: 'host' | 'device',
  steps: number,
  resumeAt?: number,
  cfg = CFG,
): Promise<{ alphas: number[][]; envelopes: (number | undefined)[]; w: Float32Array[] }> {
  const model = buildModel(MODEL, VOCAB, 5);
  let opt = createOptimizer(cfg, model.params, { metaState: place }) as MetaOptimize;
  expect(opt.metaState).toBe(place);
  const alphas: number[][] = [];
  const envelopes: (number | undefined)[] = [];
  let count: number | null = null;
  try {
    for (let s = 0; s < steps; s++) {
      if (s === resumeAt) {
        await opt.sync();
        const saved = opt.getState();
        opt.dispose();
        opt = createOptimizer(cfg, model.params, { metaState: place }) as MetaOptimize;
        opt.setState({ tensors: saved.tensors, scalars: JSON.parse(JSON.stringify(saved.scalars)) });
        tf.dispose([...saved.tensors.values()]);
        count = null;
      }
      const g = grads(model, s);
      const info = await opt.step(model.params, g, getLr(s, cfg, steps));
      tf.dispose([...g.values()]);
      if (place === 'device') {
        expect(info.lr).toBeNull();
        expect(() => opt.getState()).toThrow(/call `await optimizer.sync\(\)` first/);
      }
      const synced = await opt.sync();
      alphas.push(synced.lr!);
      envelopes.push(synced.learned?.envelope);
      if (count === null) count = tf.memory().numTensors;
      else expect(tf.memory().numTensors, `numTensors after step ${s}`).toBe(count);
    }
    return {
      alphas,
      envelopes,
      w: await Promise.all([...model.params.values()].map(async (v) => (await v.data()) as Float32Array)),
    };
  } finally {
    opt.dispose();
    model.dispose();
  }
}

describe.each(backends)('MetaOptimize, state on the device vs on the host: $label', (backend) => {
  it.skipIf(!!backend.skip)(
    'same step sizes and weights for 6 steps; resume in the device place is exact',
    async () => {
      await backend.init();
      const host = await run('host', 6);
      const device = await run('device', 6);
      host.alphas.forEach((a, s) => close(device.alphas[s], a, `alphas of step ${s}`, 1e-5, 0));
      expect(new Set(host.alphas.at(-1)).size).toBeGreaterThan(1); // the blocks' step sizes moved apart
      // atol 1% of a step (α ≈ 1e-3): AdamW's u = m/(√v + ε) of a near-zero gradient is ill-conditioned, so
      // float32 vs float64 step sizes can move such elements by a fraction of a step
      host.w.forEach((w, i) => close(device.w[i], w, `weights ${i}`, 1e-4, 1e-5));
      const resumed = await run('device', 6, 3);
      expect(resumed.alphas).toEqual(device.alphas);
      resumed.w.forEach((w, i) => expect(w).toEqual(device.w[i]));
    },
  );

  it.skipIf(!!backend.skip)(
    'with a cosine schedule: step sizes used = learned α × lr(t)/α0, device = host, resume exact',
    async () => {
      await backend.init();
      const host = await run('host', 6, undefined, CFG_ENVELOPE);
      const device = await run('device', 6, undefined, CFG_ENVELOPE);
      const shape = Array.from({ length: 6 }, (_, s) => getLr(s, CFG_ENVELOPE, 6) / CFG_ENVELOPE.lr);
      expect(host.envelopes).toEqual(shape);
      expect(device.envelopes).toEqual(shape);
      expect(shape[0]).toBeCloseTo(1, 12);
      expect(shape[5]).toBeLessThan(0.2); // cosine from 1 towards minLr / lr = 0.1
      host.alphas.forEach((a, s) => close(device.alphas[s], a, `alphas of step ${s}`, 1e-5, 0));
      host.w.forEach((w, i) => close(device.w[i], w, `weights ${i}`, 1e-4, 1e-5));
      // the learned α (used / envelope) is what the unscheduled run would have before step 1, α0
      close(
        host.alphas[0],
        new Array<number>(host.alphas[0].length).fill(CFG_ENVELOPE.lr),
        'alphas of step 0',
        1e-12,
        0,
      );
      // the envelope changes the run: the weights differ from the constant-schedule run's
      const plain = await run('host', 6);
      expect(plain.w[0]).not.toEqual(host.w[0]);
      const resumed = await run('device', 6, 3, CFG_ENVELOPE);
      expect(resumed.alphas).toEqual(device.alphas);
      resumed.w.forEach((w, i) => expect(w).toEqual(device.w[i]));
      const resumedHost = await run('host', 6, 3, CFG_ENVELOPE);
      expect(resumedHost.alphas).toEqual(host.alphas);
      resumedHost.w.forEach((w, i) => expect(w).toEqual(host.w[i]));
    },
  );

  it.skipIf(!!backend.skip)('a NaN gradient is reported by sync() with its block and step', async () => {
    await backend.init();
    const model = buildModel(MODEL, VOCAB, 5);
    const opt = createOptimizer(CFG, model.params, { metaState: 'device' }) as MetaOptimize;
    try {
      for (let s = 0; s < 3; s++) {
        const g = grads(model, s);
        if (s === 2) g.set('wte.weight', tf.fill(g.get('wte.weight')!.shape, NaN)); // the old one stays in the map's disposal below
        await opt.step(model.params, g, 0);
        tf.dispose([...g.values()]);
      }
      await expect(opt.sync()).rejects.toThrow(TrainingError);
      await expect(opt.sync()).resolves.toBeDefined(); // reported once; the state stays readable
    } finally {
      opt.dispose();
      model.dispose();
    }
  });
});
