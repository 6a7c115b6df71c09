// MetaOptimize wraps the TracedOptimizer interface, not one class: over a plain SGD written here with stock tf ops
// (float32, one op per line of metaoptimize.md's update), it learns the same step sizes as over the fused SGD.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../src/kernels/register.js';
import { createBaseOptimizer } from '../../src/optim/create.js';
import { OptimizerSchema } from '../../src/config/schema.js';
import { buildBlocks } from '../../src/optim/metaoptimize/blocks.js';
import { resolveMetaSpec } from '../../src/optim/metaoptimize/meta-update.js';
import { MetaOptimize } from '../../src/optim/metaoptimize/metaoptimize.js';
import type {
  DeviceAlphas,
  GradMap,
  OptimizerState,
  ParamMap,
  ParamSpec,
  StepInfo,
  TraceArgs,
  TracedOptimizer,
  TracePartials,
} from '../../src/optim/types.js';

beforeAll(async () => {
  await setUpBackend('cpu');
});

/** SGD without weight decay: w ← w − α·g; traced: z = Σ h·g (old h), h ← γ·h − α·g. */
class PlainSGD implements TracedOptimizer {
  readonly name = 'plain-sgd';
  readonly blockNames = ['all'];
  readonly bufferCount = 0;
  stepCount = 0;
  constructor(readonly params: ParamSpec[]) {}

  async step(params: ParamMap, grads: GradMap, lr: number): Promise<StepInfo> {
    await this.stepFused(
      params,
      grads,
      this.params.map(() => lr),
      null,
    );
    return { lr: [lr] };
  }

  async stepFused(
    params: ParamMap,
    grads: GradMap,
    alphas: number[] | DeviceAlphas,
    trace: TraceArgs | null,
  ): Promise<Float64Array | null> {
    if (!Array.isArray(alphas)) throw new Error('PlainSGD takes host step sizes only');
    this.stepCount += 1;
    const z = this.params.map(({ name }, i) => {
      const [w, g, h] = [params.get(name)!, grads.get(name)!, trace?.h.get(name)];
      return tf.tidy(() => {
        const delta = tf.mul(g, alphas[i]);
        const dot = h ? tf.sum(tf.mul(h, g)).dataSync()[0] : 0;
        if (h) h.assign(tf.sub(tf.mul(h, trace!.gamma), delta));
        w.assign(tf.sub(w, delta));
        return dot;
      });
    });
    return trace ? Float64Array.from(z) : null;
  }

  stepOnDevice(): TracePartials | null {
    throw new Error('PlainSGD reads z back on the host');
  }

  getState(): OptimizerState {
    return { tensors: new Map(), scalars: { optimizer: this.name, step: this.stepCount } };
  }

  setState(state: OptimizerState): void {
    this.stepCount = state.scalars.step as number;
  }

  dispose(): void {}
}

describe('MetaOptimize over any TracedOptimizer', () => {
  it('learns the same step sizes over a stock-op SGD as over the fused one', async () => {
    const specs: ParamSpec[] = [
      { name: 'a', shape: [3, 4] },
      { name: 'b', shape: [5] },
    ];
    const cfg = OptimizerSchema.parse({
      lr: 0.05,
      base: { type: 'sgd' },
      metaOptimize: { meta: { type: 'adam', lr: 0.01 }, gamma: 0.9 },
    });
    const mo = cfg.metaOptimize!;
    const run = async (base: TracedOptimizer) => {
      const opt = new MetaOptimize(base, {
        alpha0: cfg.lr,
        gamma: mo.gamma,
        meta: resolveMetaSpec(mo.meta, 'standard'),
        blocks: buildBlocks('scalar', ['a', 'b']),
        metaState: 'host',
      });
      const params: ParamMap = new Map(
        specs.map((p, i) => [p.name, tf.variable(tf.randomNormal(p.shape, 0, 1, 'float32', i + 1))]),
      );
      const before = tf.memory().numTensors;
      for (let step = 0; step < 5; step++) {
        // grads of ½‖w − 0.3‖²: w − 0.3, so the step sizes have something to learn
        const grads: GradMap = new Map([...params].map(([name, w]) => [name, tf.tidy(() => tf.sub(w, 0.3))]));
        await opt.step(params, grads, cfg.lr);
        for (const g of grads.values()) g.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      const out = { betas: opt.betas, w: [...params.values()].flatMap((v) => Array.from(v.dataSync())) };
      opt.dispose();
      for (const v of params.values()) v.dispose();
      return out;
    };
    const plain = await run(new PlainSGD(specs));
    const fused = await run(createBaseOptimizer(cfg, specs, 'standard'));
    expect(plain.betas[0]).not.toBe(Math.log(cfg.lr)); // the step size moved
    expect(plain.betas[0]).toBeCloseTo(fused.betas[0], 5);
    plain.w.forEach((x, i) => expect(x).toBeCloseTo(fused.w[i], 5));
  });
});
