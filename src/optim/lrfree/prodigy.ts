// Prodigy (Mishchenko & Defazio 2024; konstmish/prodigy prodigy.py @3efb213): Adam whose moments are scaled
// by d, estimated from Σ⟨g, x0 − x⟩ over ‖s‖₁; state m, v, s and the displacement x − x0 (4 buffers, as
// the authors' m, v, s, x0). Keeping x − x0 instead of x0 keeps ⟨g, x0 − x⟩ exact in float32 while the
// displacement is far below the weights' rounding (the first steps move by d0 = 1e-6). d, d_max and the
// numerator stay on the device; two passes per tensor (the step's eps term uses the new d). Math: host.ts.
import * as tf from '@tensorflow/tfjs-core';
import { defaultAttrs } from '../../kernels/lrfree-step/index.js';
import type { KernelImpl, ParamSpec } from '../fused-optimizer.js';
import { at, LrFreeOptimizer, totalSums, type Slot } from './lrfree-optimizer.js';
import { biasCorrection, decays, type ProdigySpec } from './spec.js';

export class Prodigy extends LrFreeOptimizer {
  constructor(
    params: ParamSpec[],
    readonly spec: ProdigySpec,
    impl?: KernelImpl,
  ) {
    // scalars: d, d_max, the numerator, the dlr the last step used
    super(
      'prodigy',
      params,
      ['m', 'v', 's', 'delta'],
      ['d', 'dMax', 'numerator', 'dlr'],
      [spec.d0, spec.d0, 0, 0],
      impl,
    );
  }

  protected update(slots: Slot[], lr: number, gs: tf.Scalar | undefined): tf.Tensor1D {
    const { beta1, beta2, beta3, eps, d0, dCoef, growthRate, weightDecay } = this.spec;
    const sc = this.scalars;
    const d = at(sc, 0),
      dMaxOld = at(sc, 1),
      numOld = at(sc, 2);
    const dlr = tf.mul(d, lr * biasCorrection(this.spec.biasCorrection, beta1, beta2, this.k));
    const dRatio = tf.div(d, d0);
    const coef = tf.stack([
      tf.mul(d, 1 - beta1),
      tf.mul(tf.square(d), 1 - beta2),
      tf.mul(dRatio, this.spec.safeguardWarmup ? d : dlr),
    ]);
    const sums = slots.map((s) => {
      const st = s.state;
      const out = this.pass(
        { w: s.w, g: s.g, delta: st.delta, m: st.m, v: st.v, s: st.s, coef, gs },
        defaultAttrs('prodigy-acc', { beta1, beta2, beta3 }),
      );
      if (out.m) st.m.assign(out.m);
      if (out.v) st.v.assign(out.v);
      if (out.s) st.s.assign(out.s);
      return out.sums!;
    });
    const total = totalSums(sums);
    const num = tf.add(tf.mul(numOld, beta3), tf.mul(tf.mul(dRatio, dlr), at(total, 0)));
    const den = at(total, 1);
    // den = 0 (no gradient yet): the authors return before touching d and the parameters (m, v, s are updated
    // already); so does this step, except that its step count k still advances (it only matters with biasCorrection)
    const ok = lr > 0 ? tf.greater(den, 0) : tf.scalar(false, 'bool');
    const dHat = tf.div(tf.mul(num, dCoef), den);
    const dGrown = tf.where(tf.equal(d, tf.scalar(d0)), tf.maximum(d, dHat), d);
    const dMax = tf.maximum(dMaxOld, dHat);
    const dNew = Number.isFinite(growthRate) ? tf.minimum(dMax, tf.mul(dGrown, growthRate)) : dMax;
    const dNext = tf.where(ok, dNew, d);
    const stepDlr = tf.where(ok, dlr, tf.scalar(0));
    const coef2 = tf.stack([stepDlr, tf.mul(dNext, eps)]);
    for (const s of slots) {
      const wd = decays(s.param.shape) ? weightDecay : 0;
      const out = this.pass(
        { w: s.w, delta: s.state.delta, m: s.state.m, v: s.state.v, coef: coef2 },
        defaultAttrs('prodigy-apply', { wd }),
      );
      if (out.w) s.w.assign(out.w);
      if (out.delta) s.state.delta.assign(out.delta);
    }
    return tf.stack([
      dNext,
      tf.where(ok, dMax, dMaxOld),
      tf.where(tf.greater(den, 0), num, numOld),
      dlr,
    ]) as tf.Tensor1D;
  }

  protected describe(s: number[]) {
    return { lr: s[3], learned: { d: s[0] } };
  }
}
