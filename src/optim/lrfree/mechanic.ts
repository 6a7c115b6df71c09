// mechanic (Cutkosky, Defazio & Mehta 2023; optimizedlearning/mechanic mechanic.py @4a037bc, store_delta
// False): runs the inner optimizer (AdamW or SGD at optimizer.lr), then scales the displacement from x_ref
// by Σs, learned online by six tuners (betas 0.9 … 0.999999); s, m, v, r on the device (one tensor).
// State: the inner's plus one buffer, `delta` = (x − x_ref)/max(Σs, 0) in place of the authors' x_ref: the
// same math (their Δ = (x − x_ref)/(Σs + eps) is delta·max(Σs, 0)/(Σs + eps)), but exact in float32 while
// the displacement is far below the weights' rounding (Σs starts near 1e-6). Math: host.ts MechanicHost.
import * as tf from '@tensorflow/tfjs-core';
import { defaultAttrs } from '../../kernels/lrfree-step/index.js';
import type { FusedOptimizer, KernelImpl, ParamSpec } from '../fused-optimizer.js';
import type { GradMap, OptimizerState } from '../types.js';
import { at, LrFreeOptimizer, totalSums, type Slot } from './lrfree-optimizer.js';
import type { MechanicSpec } from './spec.js';

export class Mechanic extends LrFreeOptimizer {
  private readonly n: number;

  constructor(
    params: ParamSpec[],
    readonly spec: MechanicSpec,
    readonly inner: FusedOptimizer,
    impl?: KernelImpl,
  ) {
    const n = spec.betas.length;
    const names = ['s', 'm', 'v', 'r'].flatMap((k) => spec.betas.map((_, i) => `${k}${i}`)).concat('lr');
    // s = 0, max_product m = 1e-6, sum of squared products v = 0, reward r = 0 (mechanic.py _init_state)
    super(
      `mechanic(${inner.name})`,
      params,
      ['delta'],
      names,
      [...new Array(n).fill(0), ...new Array(n).fill(1e-6), ...new Array(2 * n).fill(0), 0],
      impl,
    );
    this.n = n;
  }

  override get bufferCount(): number {
    return super.bufferCount + this.inner.bufferCount;
  }

  protected update(slots: Slot[], lr: number, gs: tf.Scalar | undefined): tf.Tensor1D {
    const { sDecay, sInit, eps, betas } = this.spec;
    const n = this.n;
    const prev = slots.map((s) => tf.clone(s.w));
    const params = new Map(slots.map((s) => [s.name, s.w]));
    const grads: GradMap = new Map(slots.map((s) => [s.name, s.g]));
    this.inner.stepOnDevice(
      params,
      grads,
      slots.map(() => lr),
      null,
      gs,
    ); // the parameters are now x_b
    const sc = this.scalars;
    const part = (k: number) => tf.slice(sc, [k * n], [n]) as tf.Tensor1D;
    const [s, m, v, r] = [part(0), part(1), part(2), part(3)];
    const sSum = tf.sum(s);
    const sOld = tf.relu(sSum);
    const ratio = tf.div(sOld, tf.add(sSum, eps)); // Δ = (x − x_ref)/(Σs + eps) = delta·ratio
    const coef = tf.reshape(ratio, [1]);
    const total = totalSums(
      slots.map(
        (sl) => this.pass({ w: sl.w, delta: sl.state.delta, g: sl.g, coef, gs }, defaultAttrs('mechanic-sums')).sums!,
      ),
    );
    // h = Σ⟨Δ, g⟩ + s_decay·Σs·‖g‖/(‖x_b‖ + eps)·Σ⟨Δ, x_b⟩
    const h = tf.add(
      at(total, 2),
      tf.mul(
        tf.div(tf.mul(tf.mul(sSum, sDecay), tf.sqrt(at(total, 1))), tf.add(tf.sqrt(at(total, 0)), eps)),
        at(total, 3),
      ),
    );
    const b = tf.tensor1d(betas);
    const mNew = tf.maximum(tf.mul(b, m), tf.abs(h));
    const vNew = tf.add(tf.mul(tf.square(b), v), tf.square(h));
    const rNew = tf.relu(tf.sub(tf.mul(b, r), tf.mul(s, h)));
    const sNew = tf.div(tf.add(tf.mul(mNew, sInit / n), rNew), tf.add(tf.sqrt(vNew), eps));
    const scale = tf.relu(tf.sum(sNew));
    const coef2 = tf.stack([ratio, sOld, scale]);
    slots.forEach((sl, i) => {
      const out = this.pass(
        { prev: prev[i], w: sl.w, delta: sl.state.delta, coef: coef2 },
        defaultAttrs('mechanic-apply'),
      );
      if (out.w) sl.w.assign(out.w);
      if (out.delta) sl.state.delta.assign(out.delta);
    });
    return tf.concat([sNew, mNew, vNew, rNew, tf.reshape(tf.mul(scale, lr), [1])]) as tf.Tensor1D;
  }

  protected describe(sc: number[]) {
    return { lr: sc[4 * this.n], learned: { s: sc.slice(0, this.n).reduce((a, b) => a + b, 0) } };
  }

  override getState(): OptimizerState {
    const own = super.getState();
    const inner = this.inner.getState();
    for (const [k, t] of inner.tensors) own.tensors.set(k, t);
    own.scalars = { ...own.scalars, innerStep: inner.scalars.step };
    return own;
  }

  override setState(state: OptimizerState): void {
    this.inner.setState({ tensors: state.tensors, scalars: { ...state.scalars, step: state.scalars.innerStep } });
    super.setState(state);
  }

  override dispose(): void {
    this.inner.dispose();
    super.dispose();
  }
}
