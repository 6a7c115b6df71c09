// Readable stock-op version of the learning-rate-free passes (index.ts lists them; the math is
// src/optim/lrfree/host.ts in float32 tf ops): the test oracle of cpu.ts and the path on backends without a
// registered kernel (webgpu, wasm). Coefficients computed on the device arrive in `coef` and stay there.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Which pass (inputs → outputs; `coef` is a small float32 tensor on the device, `gs` the optional clipping
 * scale multiplying g; every pass reads g as gs·g):
 *   sf:             y, g, z, v → y, z, v                  (attrs lr, c, beta1, beta2, bc2, eps, wd)
 *   prodigy-acc:    x, g, delta, m, v, s, coef[d(1−β1), d²(1−β2), sGain] → m, v, s; sums [Σ g(x0 − x), Σ|s'|]  (s' = β3·s + sGain·g,
 *                   x0 − x = −delta)
 *   prodigy-apply:  x, delta, m, v, coef[dlr, d'·eps] → x, delta   (both move by −wd·dlr·x − dlr·m/(√v + d'·eps))
 *   dog-norms:      x, g, x0 → sums [Σ(g + wd·x)², Σ(x − x0)²]   (x0 absent on the first step: Σx²)
 *   dog-apply:      x, g, avg, coef[eta] → x, avg         (attrs wd, avgWeight = (γ+1)/(γ+t))
 *   dadapt:         x, g, m, v, s, coef[dlr] → x, m, v, s; sums [Σ g·s/(√v + eps), Σ|s'|]   (old s, v in the first)
 *   mechanic-sums:  xb, delta, g, coef[ratio] → sums [Σ xb², Σ g², Σ Δ·g, Σ Δ·xb],  Δ = delta·ratio
 *   mechanic-apply: prev, xb, delta, coef[ratio, max(Σs, 0), max(Σs', 0)] → x, delta':  delta' = Δ + xb − prev,
 *                   x = prev + delta'·max(Σs', 0) − delta·max(Σs, 0)
 *   (mechanic's delta is x − x_ref over max(Σs, 0), ratio = max(Σs, 0)/(Σs + eps): see optim/lrfree/mechanic.ts)
 */
export type LrFreePass =
  'sf' | 'prodigy-acc' | 'prodigy-apply' | 'dog-norms' | 'dog-apply' | 'dadapt' | 'mechanic-sums' | 'mechanic-apply';

export interface LrFreeAttrs {
  pass: LrFreePass;
  lr: number;
  c: number;
  beta1: number;
  beta2: number;
  beta3: number;
  bc2: number;
  eps: number;
  /** The weight decay of this tensor (0 for tensors of rank < 2). */
  wd: number;
  /** dog-apply: the average's weight of the new point; dog-norms: 1 = first step (no x0 yet). */
  avgWeight: number;
  first: boolean;
  /**
   * true: the caller assigns every output to the variable that held the input of the same name right away
   * and never reads the old values again, so a backend may write an output into its input's storage when no
   * other tensor shares it (cpu: refCount 1), as NanometaOptimStep's `inPlace`. false: inputs stay untouched.
   */
  inPlace: boolean;
}

export type LrFreeInputs = Partial<
  Record<'w' | 'g' | 'z' | 'v' | 'm' | 's' | 'x0' | 'delta' | 'avg' | 'prev' | 'coef' | 'gs', tf.Tensor>
>;
export type LrFreeOutputs = Partial<Record<'w' | 'z' | 'v' | 'm' | 's' | 'delta' | 'avg' | 'sums', tf.Tensor>>;

/** Inputs (in binding order) and outputs of each pass. */
export const PASS_IO: Record<LrFreePass, { inputs: (keyof LrFreeInputs)[]; outputs: (keyof LrFreeOutputs)[] }> = {
  sf: { inputs: ['w', 'g', 'z', 'v'], outputs: ['w', 'z', 'v'] },
  'prodigy-acc': { inputs: ['w', 'g', 'delta', 'm', 'v', 's', 'coef'], outputs: ['m', 'v', 's', 'sums'] },
  'prodigy-apply': { inputs: ['w', 'delta', 'm', 'v', 'coef'], outputs: ['w', 'delta'] },
  'dog-norms': { inputs: ['w', 'g', 'x0'], outputs: ['sums'] },
  'dog-apply': { inputs: ['w', 'g', 'avg', 'coef'], outputs: ['w', 'avg'] },
  dadapt: { inputs: ['w', 'g', 'm', 'v', 's', 'coef'], outputs: ['w', 'm', 'v', 's', 'sums'] },
  'mechanic-sums': { inputs: ['w', 'delta', 'g', 'coef'], outputs: ['sums'] },
  'mechanic-apply': { inputs: ['prev', 'w', 'delta', 'coef'], outputs: ['w', 'delta'] },
};

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
        const gi = g(),
          y = w,
          z = need('z');
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
        const step = tf.neg(
          tf.add(tf.mul(w, tf.mul(dlr, s(a.wd))), tf.mul(dlr, tf.div(need('m'), tf.add(tf.sqrt(need('v')), coef(1))))),
        );
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
        const prev = need('prev'),
          delta = need('delta');
        const next = tf.add(tf.mul(delta, coef(0)), tf.sub(w, prev));
        return { w: tf.add(prev, tf.sub(tf.mul(next, coef(2)), tf.mul(delta, coef(1)))), delta: next };
      }
    }
  }) as LrFreeOutputs;
}
