// DoG (Ivgi, Hinder & Carmon 2023; formll/dog dog.py @8d45cf5) with the polynomial-decay average of
// averager.py (γ = averageGamma), which the authors make part of the method: the model is evaluated,
// checkpointed and sampled at the average. State x0 and the average; rbar, G, η on the device. Math: host.ts.
import * as tf from '@tensorflow/tfjs-core';
import { defaultAttrs } from '../../kernels/lrfree-step/index.js';
import type { KernelImpl, ParamSpec } from '../fused-optimizer.js';
import type { ParamMap } from '../types.js';
import { at, LrFreeOptimizer, totalSums, type Slot } from './lrfree-optimizer.js';
import { decays, type DogSpec } from './spec.js';

export class DoG extends LrFreeOptimizer {
  constructor(
    params: ParamSpec[],
    readonly spec: DogSpec,
    impl?: KernelImpl,
  ) {
    super('dog', params, ['x0', 'avg'], ['rbar', 'G', 'eta'], [0, 0, 0], impl);
  }

  protected update(slots: Slot[], lr: number, gs: tf.Scalar | undefined): tf.Tensor1D {
    const { repsRel, eps, weightDecay, averageGamma } = this.spec;
    const first = this.k === 0;
    const wdOf = (s: Slot) => (decays(s.param.shape) ? weightDecay : 0); // coupled: g + wd·x
    const total = totalSums(
      slots.map(
        (s) =>
          this.pass(
            { w: s.w, g: s.g, x0: first ? undefined : s.state.x0, gs },
            defaultAttrs('dog-norms', { wd: wdOf(s), first }),
          ).sums!,
      ),
    );
    if (first) for (const s of slots) s.state.x0.assign(s.w);
    const norm = tf.sqrt(at(total, 1));
    const rbar = first ? tf.mul(tf.add(norm, 1), repsRel) : tf.maximum(at(this.scalars, 0), norm);
    const G = first ? tf.add(at(total, 0), eps) : tf.add(at(this.scalars, 1), at(total, 0));
    const eta = tf.div(tf.mul(rbar, lr), tf.sqrt(G));
    const coef = tf.reshape(eta, [1]);
    const avgWeight = (averageGamma + 1) / (averageGamma + this.k + 1); // t = k + 1 (1 on the first step)
    for (const s of slots) {
      const out = this.pass(
        { w: s.w, g: s.g, avg: s.state.avg, coef, gs },
        defaultAttrs('dog-apply', { wd: wdOf(s), avgWeight }),
      );
      if (out.w) s.w.assign(out.w);
      if (out.avg) s.state.avg.assign(out.avg);
    }
    return tf.stack([rbar, G, eta]) as tf.Tensor1D;
  }

  protected describe(s: number[]) {
    return { lr: s[2], learned: { eta: s[2] } };
  }

  /** The polynomial-decay average (before the first step: the parameters). */
  override evalPoint(params: ParamMap): Map<string, tf.Tensor> {
    return new Map([...params].map(([name, x]) => [name, tf.clone(this.k === 0 ? x : this.slots.get(name)!.avg)]));
  }
}
