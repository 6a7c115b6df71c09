// Readable stock-op version of the learning-rate-free passes (index.ts lists them; the math is
// src/optim/lrfree/host.ts in float32 tf ops): the test oracle of cpu.ts and the path on backends without a
// registered kernel (webgpu, wasm). Coefficients computed on the device arrive in `coef` and stay there.
import * as tf from '@tensorflow/tfjs-core';
import type { LrFreeAttrs, LrFreeInputs, LrFreeOutputs } from './index.js';

/** Returns new tensors (the caller assigns and disposes them); inputs are not modified. */
export function lrFreePassReference(inputs: LrFreeInputs, a: LrFreeAttrs): LrFreeOutputs {
  return tf.tidy(() => {
    const need = (k: keyof LrFreeInputs): tf.Tensor => {
      const t = inputs[k];
      if (!t) throw new Error(`NanometaLrFreeStep ${a.pass}: input ${k} is required`);
      return t;
    };
    const s = (x: number) => tf.scalar(x);
    const coef = (i: number) => tf.reshape(tf.slice(need('coef'), [i], [1]), []);
    const g = () => (inputs.gs ? tf.mul(need('g'), tf.reshape(inputs.gs, [])) : need('g'));
    const sum1 = (...xs: tf.Tensor[]) => tf.stack(xs.map((x) => tf.sum(x))) as tf.Tensor1D;
    const w = need('w');
    switch (a.pass) {
      case 'sf': {
        const gi = g(), y = w, z = need('z');
        const v = tf.add(tf.mul(need('v'), s(a.beta2)), tf.mul(tf.square(gi), s(1 - a.beta2)));
        const u = tf.add(tf.div(gi, tf.add(tf.sqrt(tf.div(v, s(a.bc2))), s(a.eps))), tf.mul(y, s(a.wd)));
        const yc = tf.add(y, tf.mul(tf.sub(z, y), s(a.c))); // lerp(y, z, c)
        const yNew = tf.add(yc, tf.mul(u, s(a.lr * (a.beta1 * (1 - a.c) - 1))));
        return { w: yNew, z: tf.sub(z, tf.mul(u, s(a.lr))), v };
      }
      case 'prodigy-acc': {
        const gi = g();
        const dot = tf.mul(gi, tf.neg(need('delta')));
        const m = tf.add(tf.mul(need('m'), s(a.beta1)), tf.mul(gi, coef(0)));
        const v = tf.add(tf.mul(need('v'), s(a.beta2)), tf.mul(tf.square(gi), coef(1)));
        const sNew = tf.add(tf.mul(need('s'), s(a.beta3)), tf.mul(gi, coef(2))); // c carries beta3
        return { m, v, s: sNew, sums: sum1(dot, tf.abs(sNew)) };
      }
      case 'prodigy-apply': {
        const dlr = coef(0);
        const step = tf.neg(tf.add(tf.mul(w, tf.mul(dlr, s(a.wd))), tf.mul(dlr, tf.div(need('m'), tf.add(tf.sqrt(need('v')), coef(1))))));
        return { w: tf.add(w, step), delta: tf.add(need('delta'), step) };
      }
      case 'dog-norms': {
        const gi = tf.add(g(), tf.mul(w, s(a.wd)));
        return { sums: sum1(tf.square(gi), a.first ? tf.square(w) : tf.square(tf.sub(w, need('x0')))) };
      }
      case 'dog-apply': {
        const gi = tf.add(g(), tf.mul(w, s(a.wd)));
        const x = tf.sub(w, tf.mul(gi, coef(0)));
        const avg = a.avgWeight === 1 ? x : tf.add(tf.mul(need('avg'), s(1 - a.avgWeight)), tf.mul(x, s(a.avgWeight)));
        return { w: x, avg };
      }
      case 'dadapt': {
        const gi = tf.add(g(), tf.mul(w, s(a.wd))); // coupled weight decay
        const dlr = coef(0);
        const sOld = need('s');
        const dot = tf.mul(gi, tf.div(sOld, tf.add(tf.sqrt(need('v')), s(a.eps))));
        const sb2 = Math.sqrt(a.beta2);
        const m = tf.add(tf.mul(need('m'), s(a.beta1)), tf.mul(gi, tf.mul(dlr, s(1 - a.beta1))));
        const v = tf.add(tf.mul(need('v'), s(a.beta2)), tf.mul(tf.square(gi), s(1 - a.beta2)));
        const sNew = tf.add(tf.mul(sOld, s(sb2)), tf.mul(gi, tf.mul(dlr, s(1 - sb2))));
        const x = tf.sub(w, tf.div(m, tf.add(tf.sqrt(v), s(a.eps))));
        return { w: x, m, v, s: sNew, sums: sum1(dot, tf.abs(sNew)) };
      }
      case 'mechanic-sums': {
        const gi = g();
        const delta = tf.mul(need('delta'), coef(0));
        return { sums: sum1(tf.square(w), tf.square(gi), tf.mul(delta, gi), tf.mul(delta, w)) };
      }
      case 'mechanic-apply': {
        const prev = need('prev'), delta = need('delta');
        const next = tf.add(tf.mul(delta, coef(0)), tf.sub(w, prev));
        return { w: tf.add(prev, tf.sub(tf.mul(next, coef(2)), tf.mul(delta, coef(1)))), delta: next };
      }
    }
  }) as LrFreeOutputs;
}
