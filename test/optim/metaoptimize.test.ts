// MetaOptimize on a tiny GPT: meta `fixed` equals the plain base optimizer bit for bit, save -> load ->
// continue is exact, numTensors stays constant, blocks/patterns/config errors, non-finite z stops.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelSchema, OptimizerSchema } from '../../src/config/schema.js';
import { setUpBackend } from '../../src/kernels/register.js';
import { buildModel, type GPT } from '../../src/model/gpt.js';
import { createOptimizer } from '../../src/optim/create.js';
import { MetaOptimize } from '../../src/optim/metaoptimize/metaoptimize.js';
import { patternToRegExp } from '../../src/optim/metaoptimize/blocks.js';
import { getLr } from '../../src/optim/schedule.js';
import type { GradMap, Optimizer, OptimizerState } from '../../src/optim/types.js';
import { ConfigError, TrainingError } from '../../src/util/errors.js';

const MODEL = ModelSchema.parse({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8 });
const VOCAB = 32;
// GPT variables carry global names, so at most one model lives at a time: tests build, use, dispose.
let SPECS: { name: string; shape: number[] }[] = [];

beforeAll(async () => {
  await setUpBackend('cpu');
  const m = buildModel(MODEL, VOCAB, 1);
  SPECS = [...m.params].map(([name, v]) => ({ name, shape: v.shape }));
  m.dispose();
});

/** A fixed batch (B 2, T 8) of token ids, deterministic. */
function batch(step: number): [tf.Tensor2D, tf.Tensor2D] {
  const ids = Array.from({ length: 2 * 9 }, (_, i) => (i * 7 + step * 3 + ((i * i) % 5)) % VOCAB);
  const x = tf.tensor2d([ids.slice(0, 8), ids.slice(9, 17)], [2, 8], 'int32');
  const y = tf.tensor2d([ids.slice(1, 9), ids.slice(10, 18)], [2, 8], 'int32');
  return [x, y];
}

function grads(model: GPT, step: number): GradMap {
  const vars = [...model.params.values()];
  const g = tf.tidy(() => {
    const [x, y] = batch(step);
    return tf.variableGrads(() => model.loss(x, y), vars).grads;
  });
  return new Map([...model.params].map(([name, v]) => [name, g[v.name]]));
}

/** Runs `steps` steps from step `from`; checks numTensors is constant; returns the step infos. */
async function train(model: GPT, opt: Optimizer, from: number, steps: number, lr = 0.01): Promise<number[][]> {
  const lrs: number[][] = [];
  let count: number | null = null;
  for (let s = from; s < from + steps; s++) {
    const g = grads(model, s);
    lrs.push((await opt.step(model.params, g, lr)).lr!);
    tf.dispose([...g.values()]);
    if (count === null) count = tf.memory().numTensors;
    else expect(tf.memory().numTensors).toBe(count);
  }
  return lrs;
}

function weights(model: GPT): Float32Array[] {
  return [...model.params.values()].map((v) => (v.dataSync() as Float32Array).slice());
}

const optim = (o: Record<string, unknown>) => OptimizerSchema.parse(o);

/** Builds a model, runs fn, and always disposes the model (its variable names are global). */
async function withModel<T>(seed: number, fn: (m: GPT) => T | Promise<T>): Promise<T> {
  const m = buildModel(MODEL, VOCAB, seed);
  try {
    return await fn(m);
  } finally {
    m.dispose();
  }
}

describe('MetaOptimize with meta fixed equals the plain optimizer (tiny GPT)', () => {
  it.each([
    ['adamw', 12],
    ['lion', 4],
    ['sgdm', 4],
    ['sgd', 3],
    ['rmsprop', 4],
  ] as const)('%s, %i steps, bit for bit', async (type, steps) => {
    const base = { type, weightDecay: 0.1 };
    const wa = await withModel(7, async (a) => {
      const w0 = weights(a);
      const plain = createOptimizer(optim({ base, lr: 3e-3 }), a.params);
      expect((await train(a, plain, 0, steps, 3e-3)).at(-1)).toEqual([3e-3]);
      plain.dispose();
      expect(weights(a)[0]).not.toEqual(w0[0]); // it did train
      return weights(a);
    });
    await withModel(7, async (b) => {
      const meta = createOptimizer(
        optim({ base, lr: 3e-3, metaOptimize: { meta: { type: 'fixed' }, blocks: 'layerwise' } }),
        b.params,
      );
      const lrs = await train(b, meta, 0, steps, 123); // the scheduled lr is ignored by MetaOptimize
      meta.dispose();
      expect(lrs.at(-1)).toEqual(new Array(b.params.size).fill(3e-3));
      weights(b).forEach((w, i) => expect(w).toEqual(wa[i]));
    });
  });
});

describe('MetaOptimize with a schedule (the envelope)', () => {
  it('meta fixed with a cosine schedule equals AdamW with that schedule: the schedule multiplies α0', async () => {
    const steps = 10;
    const schedule = { type: 'cosine', warmupSteps: 3, minLr: 3e-4 };
    const base = { type: 'adamw', weightDecay: 0.1 };
    const plainCfg = optim({ base, lr: 3e-3, schedule });
    const metaCfg = optim({ base, lr: 3e-3, schedule, metaOptimize: { meta: { type: 'fixed' }, blocks: 'layerwise' } });
    const lrAt = (s: number) => getLr(s, plainCfg, steps);
    expect(lrAt(0)).toBeLessThan(lrAt(3)); // warmup, then decay: the envelope is not flat
    expect(lrAt(9)).toBeLessThan(lrAt(3));
    const run = (cfg: typeof plainCfg) =>
      withModel(7, async (m) => {
        const opt = createOptimizer(cfg, m.params);
        const lrs: number[][] = [];
        const envelopes: (number | undefined)[] = [];
        for (let s = 0; s < steps; s++) {
          const g = grads(m, s);
          const info = await opt.step(m.params, g, lrAt(s));
          tf.dispose([...g.values()]);
          lrs.push(info.lr!);
          envelopes.push(info.learned?.envelope);
        }
        opt.dispose();
        return { lrs, envelopes, w: weights(m) };
      });
    const plain = await run(plainCfg);
    const meta = await run(metaCfg);
    meta.lrs.forEach((lrs, s) => lrs.forEach((lr) => expect(lr).toBeCloseTo(lrAt(s), 15)));
    meta.envelopes.forEach((e, s) => expect(e).toBeCloseTo(lrAt(s) / 3e-3, 12));
    expect(plain.envelopes.every((e) => e === undefined)).toBe(true);
    // float64 α0 × (lr / α0) may differ from lr in the last bit: equal to float32 rounding, not bit for bit
    meta.w.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) expect(Math.abs(w[j] - plain.w[i][j])).toBeLessThan(1e-6);
    });
  });

  it('the meta step still learns: with a moving meta optimizer the learned α leaves α0', async () => {
    const cfg = optim({
      base: { type: 'adamw', weightDecay: 0.1 },
      lr: 1e-3,
      schedule: { type: 'cosine', warmupSteps: 0, minLr: 1e-4 },
      metaOptimize: { meta: { type: 'lion', lr: 0.05 }, blocks: 'scalar' },
    });
    await withModel(3, async (m) => {
      const opt = createOptimizer(cfg, m.params) as MetaOptimize;
      let prevBeta = Math.log(1e-3);
      for (let s = 0; s < 5; s++) {
        const g = grads(m, s);
        const info = await opt.step(m.params, g, getLr(s, cfg, 5));
        tf.dispose([...g.values()]);
        // used = exp(β before this step) × envelope
        if (s === 4) expect(info.lr![0]).toBeCloseTo(Math.exp(prevBeta) * info.learned!.envelope, 15);
        prevBeta = opt.betas[0];
      }
      expect(Math.abs(opt.betas[0] - Math.log(1e-3))).toBeGreaterThan(0.05); // Lion meta: ±η per step after the first
      opt.dispose();
    });
  });
});

describe('MetaOptimize state', () => {
  const cfg = optim({
    base: { type: 'adamw', weightDecay: 0.1 },
    lr: 1e-3,
    metaOptimize: { meta: { type: 'lion', lr: 0.01 }, blocks: 'layerwise' },
  });

  it('getState -> setState -> continue gives identical numbers (also after a JSON round trip)', async () => {
    const { saved, savedWeights, lrsA, betasA, wa } = await withModel(3, async (a) => {
      const optA = createOptimizer(cfg, a.params) as MetaOptimize;
      await train(a, optA, 0, 3);
      const saved: OptimizerState = optA.getState();
      const savedWeights = weights(a);
      const lrsA = await train(a, optA, 3, 3);
      const betasA = optA.betas;
      optA.dispose();
      return { saved, savedWeights, lrsA, betasA, wa: weights(a) };
    });
    const keys = [...saved.tensors.keys()];
    expect(keys).toEqual(expect.arrayContaining(['h.1.attn.qkv.weight/h', 'wte.weight/m', 'ln_f.bias/v']));
    expect(saved.tensors.size).toBe(3 * SPECS.length);
    expect(saved.scalars.step).toBe(3);
    await withModel(99, async (b) => {
      [...b.params.values()].forEach((v, i) => v.assign(tf.tensor(savedWeights[i], v.shape)));
      const optB = createOptimizer(cfg, b.params) as MetaOptimize;
      optB.setState({ tensors: saved.tensors, scalars: JSON.parse(JSON.stringify(saved.scalars)) });
      tf.dispose([...saved.tensors.values()]);
      const lrsB = await train(b, optB, 3, 3);
      expect(lrsB).toEqual(lrsA);
      expect(optB.betas).toEqual(betasA);
      expect(new Set(betasA).size).toBeGreaterThan(1); // layerwise betas really moved apart
      weights(b).forEach((w, i) => expect(w).toEqual(wa[i]));
      optB.dispose();
    });
  });

  it('setState refuses a state with other blocks or missing traces', async () => {
    const opt = createOptimizer(cfg, SPECS);
    const state = opt.getState();
    expect(() => opt.setState({ tensors: state.tensors, scalars: { ...state.scalars, beta: [0] } })).toThrow(
      /'beta' must be 28 finite numbers/,
    );
    const noH = new Map([...state.tensors].filter(([k]) => k !== 'wte.weight/h'));
    expect(() => opt.setState({ tensors: noH, scalars: state.scalars })).toThrow(/no tensor 'wte.weight\/h'/);
    tf.dispose([...state.tensors.values()]);
    opt.dispose();
  });

  it('counts parameter-sized buffers: AdamW 2 per tensor, MetaOptimize(AdamW) 3', async () => {
    const before = tf.memory().numTensors;
    const plain = createOptimizer(optim({ base: { type: 'adamw' } }), SPECS);
    const meta = createOptimizer(cfg, SPECS);
    expect(plain.bufferCount).toBe(2 * SPECS.length);
    expect(meta.bufferCount).toBe(3 * SPECS.length);
    expect(tf.memory().numTensors - before).toBe(5 * SPECS.length);
    plain.dispose();
    meta.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with a TrainingError on a non-finite meta-gradient', async () => {
    await withModel(3, async (a) => {
      const opt = createOptimizer(cfg, a.params);
      await train(a, opt, 0, 1);
      const bad: GradMap = new Map([...a.params].map(([n, v]) => [n, tf.fill(v.shape, NaN)]));
      await expect(opt.step(a.params, bad, 0)).rejects.toThrow(TrainingError);
      await expect(opt.step(a.params, bad, 0)).rejects.toThrow(/meta-gradient z of block 'wte.weight' is NaN/);
      tf.dispose([...bad.values()]);
      opt.dispose();
    });
  });
});

describe('non-finite beta', () => {
  it('stops with a TrainingError naming the block when beta overflows', async () => {
    const params = new Map([['a', tf.variable(tf.tensor1d([1, 2]))]]);
    const opt = createOptimizer(
      optim({ base: { type: 'sgd' }, lr: 1, metaOptimize: { meta: { type: 'sgd', lr: 1e308 } } }),
      params,
    );
    const g = new Map([['a', tf.tensor1d([1e3, 1e3])]]);
    await opt.step(params, g, 0); // z = 0 (h = 0); then h = -g·1
    await expect(opt.step(params, g, 0)).rejects.toThrow(/log step size beta of block 'all' became Infinity at step 2/); // z = -2e6
    tf.dispose([...g.values(), ...params.values()]);
    opt.dispose();
  });
});

describe('blocks and config errors', () => {
  const names = () => SPECS;
  const mo = (blocks: unknown) => optim({ lr: 1e-4, metaOptimize: { blocks } });

  it('block names: scalar, layerwise, groups', async () => {
    const params = names();
    expect(createOptimizer(mo('scalar'), params).blockNames).toEqual(['all']);
    expect(createOptimizer(mo('layerwise'), params).blockNames).toEqual(params.map((p) => p.name));
    const groups = [['wte.*', 'wpe.*'], ['h.*.attn.*'], ['h.*.mlp.*'], ['*ln_*']];
    expect(createOptimizer(mo(groups), params).blockNames).toEqual([
      'wte.*, wpe.*',
      'h.*.attn.*',
      'h.*.mlp.*',
      '*ln_*',
    ]);
  });

  it('pattern syntax: * any characters (dots included), ? one character, whole name', async () => {
    expect(patternToRegExp('h.*.attn.*').test('h.3.attn.qkv.weight')).toBe(true);
    expect(patternToRegExp('h.1.*').test('h.10.mlp.fc.bias')).toBe(false);
    expect(patternToRegExp('h.?.mlp.*').test('h.1x.mlp.fc')).toBe(false);
    expect(patternToRegExp('*.bias').test('h.0.attn.qkv.bias')).toBe(true);
    expect(patternToRegExp('wte.weight').test('wte.weights')).toBe(false);
  });

  it('unmatched, doubly matched and empty groups are ConfigErrors naming them', async () => {
    const params = names();
    expect(() => createOptimizer(mo([['wte.*', 'wpe.*'], ['h.*']]), params)).toThrow(
      /no group matches parameter\(s\) ln_f.weight, ln_f.bias/,
    );
    expect(() => createOptimizer(mo([['*'], ['h.0.*']]), params)).toThrow(
      /more than one group: h.0.ln_1.weight \(groups \[\*\] and \[h.0.\*\]\)/,
    );
    expect(() => createOptimizer(mo([['*'], ['nothing.*']]), params)).toThrow(/\[nothing.\*\] match no parameter/);
    expect(() => createOptimizer(mo([['h.*']]), params)).toThrow(ConfigError);
  });

  it('accepts {name, shape} lists as well as parameter maps', async () => {
    const opt = createOptimizer(optim({ metaOptimize: { blocks: 'layerwise' } }), [
      { name: 'a', shape: [2, 2] },
      { name: 'b', shape: [2] },
    ]);
    expect(opt.blockNames).toEqual(['a', 'b']);
    expect(opt.name).toBe('metaoptimize(adamw, lion)');
    opt.dispose();
  });
});
