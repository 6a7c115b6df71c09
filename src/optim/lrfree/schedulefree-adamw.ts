// Schedule-Free AdamW (Defazio et al. 2024; facebookresearch/schedule_free adamw_schedulefree.py @70785b5):
// the parameters hold y (where gradients are taken); z and v are state (2 buffers, like AdamW); the model
// is evaluated, checkpointed and sampled at x = lerp(y, z, 1 − 1/β1). Math: host.ts ScheduleFreeHost.
import * as tf from '@tensorflow/tfjs-core';
import { defaultAttrs } from '../../kernels/lrfree-step/index.js';
import type { KernelImpl, ParamSpec } from '../fused-optimizer.js';
import type { ParamMap } from '../types.js';
import { LrFreeOptimizer, savedNumber, type Slot } from './lrfree-optimizer.js';
import { decays, scheduleFreeCoefficients, type ScheduleFreeSpec } from './spec.js';

export class ScheduleFreeAdamW extends LrFreeOptimizer {
  /** Running max of the scheduled lr and sum of the averaging weights (host numbers: they depend only on k and lr). */
  private lrMax = -1;
  private weightSum = 0;

  constructor(
    params: ParamSpec[],
    readonly spec: ScheduleFreeSpec,
    impl?: KernelImpl,
  ) {
    super('schedulefree-adamw', params, ['z', 'v'], ['lr', 'c'], [0, 0], impl);
  }

  protected update(slots: Slot[], lr0: number, gs: tf.Scalar | undefined): tf.Tensor1D {
    const { beta1, beta2, eps, weightDecay } = this.spec;
    if (this.k === 0) for (const s of slots) s.state.z.assign(s.w); // z starts at the initial point
    const co = scheduleFreeCoefficients(this.spec, lr0, this.k, this.lrMax, this.weightSum);
    [this.lrMax, this.weightSum] = [co.lrMax, co.weightSum];
    const bc2 = 1 - beta2 ** (this.k + 1);
    for (const s of slots) {
      const wd = decays(s.param.shape) ? weightDecay : 0;
      const out = this.pass(
        { w: s.w, g: s.g, z: s.state.z, v: s.state.v, gs },
        defaultAttrs('sf', { lr: co.lr, c: co.c, beta1, beta2, bc2, eps, wd }),
      );
      if (out.w) s.w.assign(out.w);
      if (out.z) s.state.z.assign(out.z);
      if (out.v) s.state.v.assign(out.v);
    }
    return tf.tensor1d([co.lr, co.c]);
  }

  protected describe(s: number[]) {
    return { lr: s[0], learned: { c: s[1] } };
  }

  /** x = y + (1 − 1/β1)(z − y) (the authors' optimizer.eval()); before the first step, y itself. */
  override evalPoint(params: ParamMap): Map<string, tf.Tensor> {
    const w = 1 - 1 / this.spec.beta1;
    return new Map(
      [...params].map(([name, y]) => [
        name,
        this.k === 0 ? tf.clone(y) : tf.tidy(() => tf.add(y, tf.mul(tf.sub(this.slots.get(name)!.z, y), w))),
      ]),
    );
  }

  protected override hostState() {
    return { lrMax: this.lrMax, weightSum: this.weightSum };
  }

  protected override setHostState(s: Record<string, unknown>): void {
    [this.lrMax, this.weightSum] = [savedNumber(s, 'lrMax'), savedNumber(s, 'weightSum')];
  }
}
