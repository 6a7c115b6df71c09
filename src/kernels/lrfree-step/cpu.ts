// Fused cpu kernel of `NanometaLrFreeStep` (index.ts): each pass is one JS loop over the typed arrays of its
// tensor (float64 arithmetic, float32 storage), with its per-tensor sums accumulated in float64 in the same
// loop. Same math as reference.ts; the `coef` scalars are read from their (cpu) tensor, which costs no sync.
import type * as tf from '@tensorflow/tfjs-core';
import type { CpuLikeBackend } from '../cpu-backend.js';
import { LRFREE_STEP_KERNEL as NAME, type LrFreeAttrs } from './index.js';

function lrFreeCpu({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const be = backend as CpuLikeBackend;
  const a = attrs as unknown as LrFreeAttrs;
  // coefficients as local constants: the loops below do not look them up on the attrs object per element
  const { lr, c, beta1, beta2, beta3, bc2, eps, wd } = a;
  const read = (name: string): Float32Array => {
    const info = inputs[name];
    if (!info) throw new Error(`${NAME} ${a.pass}: input ${name} is required`);
    if (info.dtype !== 'float32') throw new Error(`${NAME}: input ${name} must be float32, got ${info.dtype}`);
    return be.readSync(info.dataId) as Float32Array;
  };
  const w = read('w');
  const n = w.length;
  const shape = inputs.w!.shape;
  const gs = inputs.gs ? read('gs')[0] : 1;
  const g = () => read('g');
  const coef = inputs.coef ? read('coef') : new Float32Array(0);
  // inPlace: an output overwrites its same-named input when no other tensor shares that storage (each element
  // is read before it is written); otherwise, and for outputs without such an input, a new array
  const fresh = (name?: string) => {
    const info = name ? inputs[name] : undefined;
    return a.inPlace && info && be.refCount(info.dataId) === 1
      ? (be.readSync(info.dataId) as Float32Array)
      : new Float32Array(n);
  };
  const out = (...arrays: Float32Array[]) => arrays.map((x) => be.makeTensorInfo(shape, 'float32', x));
  const sums = (...xs: number[]) => be.makeTensorInfo([xs.length], 'float32', Float32Array.from(xs));
  switch (a.pass) {
    case 'sf': {
      const gi = g(),
        z = read('z'),
        v = read('v');
      const [yO, zO, vO] = [fresh('w'), fresh('z'), fresh('v')];
      const step = lr * (beta1 * (1 - c) - 1),
        invBc2 = 1 / bc2,
        gain2 = 1 - beta2;
      for (let i = 0; i < n; i++) {
        const gv = gi[i] * gs,
          y = w[i],
          zi = z[i];
        const vi = beta2 * v[i] + gain2 * gv * gv;
        const u = gv / (Math.sqrt(vi * invBc2) + eps) + wd * y;
        yO[i] = y + c * (zi - y) + step * u;
        zO[i] = zi - lr * u;
        vO[i] = vi;
      }
      return out(yO, zO, vO);
    }
    case 'prodigy-acc': {
      const gi = g(),
        delta = read('delta'),
        m = read('m'),
        v = read('v'),
        s = read('s');
      const [mO, vO, sO] = [fresh('m'), fresh('v'), fresh('s')];
      let dot = 0,
        l1 = 0;
      for (let i = 0; i < n; i++) {
        const gv = gi[i] * gs;
        dot -= gv * delta[i];
        mO[i] = beta1 * m[i] + coef[0] * gv;
        vO[i] = beta2 * v[i] + coef[1] * gv * gv;
        sO[i] = beta3 * s[i] + coef[2] * gv;
        l1 += Math.abs(sO[i]);
      }
      return [...out(mO, vO, sO), sums(dot, l1)];
    }
    case 'prodigy-apply': {
      const m = read('m'),
        v = read('v'),
        delta = read('delta'),
        [xO, dO] = [fresh('w'), fresh('delta')];
      const dlr = coef[0],
        dEps = coef[1];
      for (let i = 0; i < n; i++) {
        const step = -(w[i] * (dlr * wd) + dlr * (m[i] / (Math.sqrt(v[i]) + dEps)));
        xO[i] = w[i] + step;
        dO[i] = delta[i] + step;
      }
      return out(xO, dO);
    }
    case 'dog-norms': {
      const gi = g(),
        x0 = a.first ? null : read('x0');
      let gg = 0,
        dd = 0;
      for (let i = 0; i < n; i++) {
        const gv = gi[i] * gs + wd * w[i];
        gg += gv * gv;
        const d = x0 ? w[i] - x0[i] : w[i];
        dd += d * d;
      }
      return [sums(gg, dd)];
    }
    case 'dog-apply': {
      const gi = g(),
        avg = a.avgWeight === 1 ? null : read('avg');
      const [xO, aO] = [fresh('w'), avg ? fresh('avg') : fresh()];
      const eta = coef[0],
        k = a.avgWeight;
      for (let i = 0; i < n; i++) {
        const x = w[i] - (gi[i] * gs + wd * w[i]) * eta;
        xO[i] = x;
        aO[i] = avg ? avg[i] * (1 - k) + x * k : x;
      }
      return out(xO, aO);
    }
    case 'dadapt': {
      const gi = g(),
        m = read('m'),
        v = read('v'),
        s = read('s');
      const [xO, mO, vO, sO] = [fresh('w'), fresh('m'), fresh('v'), fresh('s')];
      const dlr = coef[0],
        sb2 = Math.sqrt(beta2);
      let dot = 0,
        l1 = 0;
      for (let i = 0; i < n; i++) {
        const gv = gi[i] * gs + wd * w[i];
        dot += gv * (s[i] / (Math.sqrt(v[i]) + eps));
        const mi = Math.fround(beta1 * m[i] + gv * (dlr * (1 - beta1)));
        const vi = Math.fround(beta2 * v[i] + (1 - beta2) * gv * gv);
        sO[i] = sb2 * s[i] + gv * (dlr * (1 - sb2));
        l1 += Math.abs(sO[i]);
        mO[i] = mi;
        vO[i] = vi;
        xO[i] = w[i] - mi / (Math.sqrt(vi) + eps);
      }
      return [...out(xO, mO, vO, sO), sums(dot, l1)];
    }
    case 'mechanic-sums': {
      const gi = g(),
        delta = read('delta');
      const ratio = coef[0];
      let xx = 0,
        gg = 0,
        dg = 0,
        dx = 0;
      for (let i = 0; i < n; i++) {
        const gv = gi[i] * gs,
          x = w[i],
          d = delta[i] * ratio;
        xx += x * x;
        gg += gv * gv;
        dg += d * gv;
        dx += d * x;
      }
      return [sums(xx, gg, dg, dx)];
    }
    case 'mechanic-apply': {
      const prev = read('prev'),
        delta = read('delta'),
        [xO, dO] = [fresh('w'), fresh('delta')];
      const [ratio, sOld, sNew] = [coef[0], coef[1], coef[2]];
      for (let i = 0; i < n; i++) {
        const d = delta[i];
        const next = Math.fround(d * ratio + (w[i] - prev[i]));
        dO[i] = next;
        xO[i] = prev[i] + (next * sNew - d * sOld);
      }
      return out(xO, dO);
    }
  }
}

export const cpuKernels: tf.KernelConfig[] = [
  { kernelName: NAME, backendName: 'cpu', kernelFunc: lrFreeCpu as unknown as tf.KernelFunc },
];
