// D-Adaptation Adam (Defazio & Mishchenko 2023; facebookresearch/dadaptation dadapt_adam.py @c984980): the
// first moment already holds d·lr; d from the weighted Σ⟨g, s/(√v + eps)⟩ over ‖s‖₁; state m, v, s (3 buffers).
// One pass per tensor (this step's update does not use the new d); d stays on the device. Math: host.ts.
import * as tf from '@tensorflow/tfjs-core';
import { defaultAttrs } from '../../kernels/lrfree-step/index.js';
import type { KernelImpl, ParamSpec } from '../fused-optimizer.js';
import { at, LrFreeOptimizer, totalSums, type Slot } from './lrfree-optimizer.js';
import { biasCorrection, decays, type DAdaptAdamSpec } from './spec.js';

export class DAdaptAdam extends LrFreeOptimizer {
  constructor(
    params: ParamSpec[],
    readonly spec: DAdaptAdamSpec,
    impl?: KernelImpl,
  ) {
    super('dadapt-adam', params, ['m', 'v', 's'], ['d', 'numeratorWeighted', 'dlr'], [spec.d0, 0, 0], impl);
  }

  protected update(slots: Slot[], lr: number, gs: tf.Scalar | undefined): tf.Tensor1D {
    const { beta1, beta2, eps, growthRate, weightDecay } = this.spec;
    const sb2 = Math.sqrt(beta2);
    const d = at(this.scalars, 0),
      numwOld = at(this.scalars, 1);
    const dlr = tf.mul(d, lr * biasCorrection(this.spec.biasCorrection, beta1, beta2, this.k));
    const coef = tf.reshape(dlr, [1]);
    const sums = slots.map((s) => {
      const st = s.state;
      const wd = decays(s.param.shape) ? weightDecay : 0; // coupled (g + wd·x), the authors' default decouple=False
      const out = this.pass(
        { w: s.w, g: s.g, m: st.m, v: st.v, s: st.s, coef, gs },
        defaultAttrs('dadapt', { beta1, beta2, eps, wd }),
      );
      if (out.w) s.w.assign(out.w);
      if (out.m) st.m.assign(out.m);
      if (out.v) st.v.assign(out.v);
      if (out.s) st.s.assign(out.s);
      return out.sums!;
    });
    const total = totalSums(sums);
    const l1 = at(total, 1);
    const ok = tf.greater(l1, 0); // ‖s‖₁ = 0: no gradient yet, d and the numerator stay
    const numw = tf.add(tf.mul(numwOld, sb2), tf.mul(tf.mul(dlr, at(total, 0)), 1 - sb2));
    const dHat = tf.div(numw, tf.mul(l1, 1 - sb2));
    const capped = Number.isFinite(growthRate) ? tf.minimum(dHat, tf.mul(d, growthRate)) : dHat;
    const dNew = lr > 0 ? tf.maximum(d, capped) : d;
    return tf.stack([tf.where(ok, dNew, d), tf.where(ok, numw, numwOld), dlr]) as tf.Tensor1D;
  }

  protected describe(s: number[]) {
    return { lr: s[2], learned: { d: s[0] } };
  }
}
