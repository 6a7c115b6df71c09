// The learning-rate-free methods in float64 JS numbers, line by line as the authors' PyTorch code
// (../shared/reference/lr-free.md gives repository, path and commit): the readable math, the oracle of the
// float32 tensor versions, and what `tools/optim-trace.ts --impl host` runs. Arrays are flat per tensor.
import type { DAdaptAdamSpec, DogSpec, LrFreeSpec, MechanicSpec, ProdigySpec, ScheduleFreeSpec } from './spec.js';
import { biasCorrection, decays, scheduleFreeCoefficients } from './spec.js';

export interface HostOptimizer {
  /** One step in place: w are the parameters (the training point), g their gradients, lr optimizer.lr. */
  step(w: Float64Array[], g: Float64Array[], lr: number): void;
  /** The evaluation point (Schedule-Free's x, DoG's average; otherwise a copy of w). */
  evalPoint(w: Float64Array[]): Float64Array[];
  /** The learned scalars after the last step (d, eta, s, ...) and the step size it used (`lr`). */
  scalars(): Record<string, number>;
}

const zeros = (w: Float64Array[]) => w.map((x) => new Float64Array(x.length));
const copy = (w: Float64Array[]) => w.map((x) => Float64Array.from(x));
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Schedule-Free AdamW (adamw_schedulefree.py): y is trained, z and v are state, x = lerp(y, z, 1 − 1/β1) is evaluated. */
class ScheduleFreeHost implements HostOptimizer {
  private k = 0;
  private lrMax = -1;
  private weightSum = 0;
  private lastLr = 0;
  private lastC = 0;
  private z: Float64Array[] = [];
  private v: Float64Array[] = [];
  constructor(
    private readonly s: ScheduleFreeSpec,
    private readonly shapes: number[][],
  ) {}
  step(y: Float64Array[], g: Float64Array[], lr0: number): void {
    const { beta1, beta2, eps } = this.s;
    if (this.k === 0) {
      this.z = copy(y);
      this.v = zeros(y);
    }
    const co = scheduleFreeCoefficients(this.s, lr0, this.k, this.lrMax, this.weightSum);
    Object.assign(this, { lrMax: co.lrMax, weightSum: co.weightSum, lastLr: co.lr, lastC: co.c });
    const bc2 = 1 - beta2 ** (this.k + 1);
    y.forEach((yt, t) => {
      const wd = decays(this.shapes[t]) ? this.s.weightDecay : 0;
      const z = this.z[t],
        v = this.v[t],
        gt = g[t];
      for (let i = 0; i < yt.length; i++) {
        v[i] = beta2 * v[i] + (1 - beta2) * gt[i] * gt[i];
        const u = gt[i] / (Math.sqrt(v[i] / bc2) + eps) + wd * yt[i];
        yt[i] = yt[i] + co.c * (z[i] - yt[i]);
        yt[i] += co.lr * (beta1 * (1 - co.c) - 1) * u;
        z[i] -= co.lr * u;
      }
    });
    this.k += 1;
  }
  evalPoint(y: Float64Array[]): Float64Array[] {
    if (this.k === 0) return copy(y);
    const w = 1 - 1 / this.s.beta1;
    return y.map((yt, t) => yt.map((yi, i) => yi + w * (this.z[t][i] - yi)));
  }
  scalars() {
    return { lr: this.lastLr, c: this.lastC };
  }
}

/** Prodigy (prodigy.py): D-Adaptation with Adam moments scaled by d, d from ⟨g, x0 − x⟩ over ‖s‖₁. */
class ProdigyHost implements HostOptimizer {
  private k = 0;
  private d: number;
  private dMax: number;
  private num = 0;
  private lastDlr = 0;
  private m: Float64Array[] = [];
  private v: Float64Array[] = [];
  private sAcc: Float64Array[] = [];
  private x0: Float64Array[] = [];
  constructor(
    private readonly s: ProdigySpec,
    private readonly shapes: number[][],
  ) {
    this.d = s.d0;
    this.dMax = s.d0;
  }
  step(x: Float64Array[], g: Float64Array[], lr: number): void {
    const { beta1, beta2, beta3, eps, d0, dCoef, growthRate } = this.s;
    if (this.k === 0) {
      [this.m, this.v, this.sAcc, this.x0] = [zeros(x), zeros(x), zeros(x), copy(x)];
    }
    const d = this.d;
    const dlr = d * lr * biasCorrection(this.s.biasCorrection, beta1, beta2, this.k);
    let delta = 0,
      den = 0;
    x.forEach((xt, t) => {
      const gt = g[t],
        m = this.m[t],
        v = this.v[t],
        s = this.sAcc[t],
        x0 = this.x0[t];
      let dp = 0;
      for (let i = 0; i < xt.length; i++) dp += gt[i] * (x0[i] - xt[i]);
      delta += (d / d0) * dlr * dp;
      const sGain = (d / d0) * (this.s.safeguardWarmup ? d : dlr);
      for (let i = 0; i < xt.length; i++) {
        m[i] = beta1 * m[i] + d * (1 - beta1) * gt[i];
        v[i] = beta2 * v[i] + d * d * (1 - beta2) * gt[i] * gt[i];
        s[i] = beta3 * s[i] + sGain * gt[i];
        den += Math.abs(s[i]);
      }
    });
    this.lastDlr = dlr;
    if (den === 0) return; // no progress yet (all gradients zero): the authors return before the step
    const num = beta3 * this.num + delta;
    if (lr > 0) {
      const dHat = (dCoef * num) / den;
      let dNew = d;
      if (d === d0) dNew = Math.max(d, dHat);
      this.dMax = Math.max(this.dMax, dHat);
      this.d = Math.min(this.dMax, dNew * growthRate);
    }
    this.num = num;
    x.forEach((xt, t) => {
      const wd = decays(this.shapes[t]) ? this.s.weightDecay : 0;
      const m = this.m[t],
        v = this.v[t];
      for (let i = 0; i < xt.length; i++) {
        xt[i] -= wd * dlr * xt[i];
        xt[i] -= (dlr * m[i]) / (Math.sqrt(v[i]) + this.d * eps);
      }
    });
    this.k += 1;
  }
  evalPoint(x: Float64Array[]) {
    return copy(x);
  }
  scalars() {
    return { lr: this.lastDlr, d: this.d };
  }
}

/** DoG (dog.py) with the polynomial-decay average of averager.py (evaluated at the average). */
class DogHost implements HostOptimizer {
  private t = 0;
  private rbar = 0;
  private G = 0;
  private eta = 0;
  private x0: Float64Array[] = [];
  private avg: Float64Array[] = [];
  constructor(
    private readonly s: DogSpec,
    private readonly shapes: number[][],
  ) {}
  step(x: Float64Array[], gIn: Float64Array[], lr: number): void {
    const { repsRel, eps, averageGamma } = this.s;
    // coupled weight decay: g += wd·x, before the norms
    const g = gIn.map((gt, t) =>
      decays(this.shapes[t]) && this.s.weightDecay > 0 ? gt.map((gi, i) => gi + this.s.weightDecay * x[t][i]) : gt,
    );
    const gg = g.reduce((s, gt) => s + dot(gt, gt), 0);
    if (this.t === 0) {
      this.x0 = copy(x);
      this.avg = copy(x);
      this.rbar = repsRel * (1 + Math.sqrt(x.reduce((s, xt) => s + dot(xt, xt), 0)));
      this.G = gg + eps;
    } else {
      const dist = Math.sqrt(x.reduce((s, xt, t) => s + xt.reduce((a, xi, i) => a + (xi - this.x0[t][i]) ** 2, 0), 0));
      this.rbar = Math.max(this.rbar, dist);
      this.G += gg;
    }
    this.eta = (lr * this.rbar) / Math.sqrt(this.G);
    x.forEach((xt, t) => {
      for (let i = 0; i < xt.length; i++) xt[i] -= this.eta * g[t][i];
    });
    this.t += 1;
    const a = (averageGamma + 1) / (averageGamma + this.t);
    this.avg.forEach((at, t) => {
      for (let i = 0; i < at.length; i++) at[i] = (1 - a) * at[i] + a * x[t][i];
    });
  }
  evalPoint(x: Float64Array[]) {
    return this.t === 0 ? copy(x) : copy(this.avg);
  }
  scalars() {
    return { lr: this.eta, eta: this.eta, rbar: this.rbar, G: this.G };
  }
}

/** D-Adaptation Adam (dadapt_adam.py): d from the weighted ⟨g, s/(√v + eps)⟩ over ‖s‖₁; m already holds dlr. */
class DAdaptAdamHost implements HostOptimizer {
  private k = 0;
  private d: number;
  private numw = 0;
  private lastDlr = 0;
  private m: Float64Array[] = [];
  private v: Float64Array[] = [];
  private sAcc: Float64Array[] = [];
  constructor(
    private readonly s: DAdaptAdamSpec,
    private readonly shapes: number[][],
  ) {
    this.d = s.d0;
  }
  step(x: Float64Array[], gIn: Float64Array[], lr: number): void {
    const { beta1, beta2, eps, growthRate } = this.s;
    if (this.k === 0) [this.m, this.v, this.sAcc] = [zeros(x), zeros(x), zeros(x)];
    const sb2 = Math.sqrt(beta2);
    const dlr = this.d * lr * biasCorrection(this.s.biasCorrection, beta1, beta2, this.k);
    let acc = 0,
      l1 = 0;
    x.forEach((xt, t) => {
      const wd = decays(this.shapes[t]) ? this.s.weightDecay : 0; // coupled (the authors' default, decouple=False)
      const m = this.m[t],
        v = this.v[t],
        s = this.sAcc[t];
      let dp = 0;
      for (let i = 0; i < xt.length; i++) {
        const gi = gIn[t][i] + wd * xt[i];
        dp += gi * (s[i] / (Math.sqrt(v[i]) + eps));
        m[i] = beta1 * m[i] + dlr * (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        s[i] = sb2 * s[i] + dlr * (1 - sb2) * gi;
        l1 += Math.abs(s[i]);
      }
      acc += dlr * dp;
    });
    this.lastDlr = dlr;
    if (l1 === 0) return;
    this.numw = sb2 * this.numw + (1 - sb2) * acc;
    if (lr > 0) {
      const dHat = this.numw / ((1 - sb2) * l1);
      this.d = Math.max(this.d, Math.min(dHat, this.d * growthRate));
    }
    x.forEach((xt, t) => {
      const m = this.m[t],
        v = this.v[t];
      for (let i = 0; i < xt.length; i++) xt[i] -= m[i] / (Math.sqrt(v[i]) + eps);
    });
    this.k += 1;
  }
  evalPoint(x: Float64Array[]) {
    return copy(x);
  }
  scalars() {
    return { lr: this.lastDlr, d: this.d };
  }
}

/** The inner optimizer of mechanic in float64: torch.optim.AdamW (decay on rank >= 2 tensors) or SGD. */
class InnerHost {
  private k = 0;
  private m: Float64Array[] = [];
  private v: Float64Array[] = [];
  constructor(
    private readonly s: MechanicSpec['inner'],
    private readonly shapes: number[][],
  ) {}
  step(x: Float64Array[], g: Float64Array[], lr: number): void {
    const { beta1, beta2, eps } = this.s;
    if (this.k === 0) [this.m, this.v] = [zeros(x), zeros(x)];
    this.k += 1;
    const bc1 = 1 - beta1 ** this.k,
      bc2 = 1 - beta2 ** this.k;
    x.forEach((xt, t) => {
      const wd = decays(this.shapes[t]) ? this.s.weightDecay : 0;
      const m = this.m[t],
        v = this.v[t],
        gt = g[t];
      for (let i = 0; i < xt.length; i++) {
        if (this.s.type === 'sgd') {
          xt[i] -= lr * (gt[i] + wd * xt[i]);
          continue;
        }
        m[i] = beta1 * m[i] + (1 - beta1) * gt[i];
        v[i] = beta2 * v[i] + (1 - beta2) * gt[i] * gt[i];
        xt[i] -= lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps) + wd * xt[i]);
      }
    });
  }
}

/** mechanic (mechanic.py, store_delta=False): the inner step's displacement from x_ref, scaled by Σs. */
class MechanicHost implements HostOptimizer {
  private started = false;
  private ref: Float64Array[] = [];
  private readonly sv: number[];
  private readonly mv: number[];
  private readonly vv: number[];
  private readonly rv: number[];
  private readonly inner: InnerHost;
  private lastLr = 0;
  constructor(
    private readonly s: MechanicSpec,
    shapes: number[][],
  ) {
    const n = s.betas.length;
    [this.sv, this.mv, this.vv, this.rv] = [
      new Array(n).fill(0),
      new Array(n).fill(1e-6),
      new Array(n).fill(0),
      new Array(n).fill(0),
    ];
    this.inner = new InnerHost(s.inner, shapes);
  }
  step(x: Float64Array[], g: Float64Array[], lr: number): void {
    const { sDecay, sInit, eps, betas } = this.s;
    const prev = copy(x);
    this.inner.step(x, g, lr); // x is now x_b
    if (!this.started) {
      this.ref = copy(prev);
      this.started = true;
    }
    const sSum = this.sv.reduce((a, b) => a + b, 0);
    const delta = prev.map((pt, t) => pt.map((pi, i) => (pi - this.ref[t][i]) / (sSum + eps)));
    const xNorm = Math.sqrt(x.reduce((a, xt) => a + dot(xt, xt), 0));
    const gNorm = Math.sqrt(g.reduce((a, gt) => a + dot(gt, gt), 0));
    let h = 0;
    x.forEach((xt, t) => {
      for (let i = 0; i < xt.length; i++) {
        h += delta[t][i] * (g[t][i] + (sDecay * xt[i] * sSum * gNorm) / (xNorm + eps));
        delta[t][i] += xt[i] - prev[t][i];
      }
    });
    const n = betas.length;
    for (let j = 0; j < n; j++) {
      this.mv[j] = Math.max(betas[j] * this.mv[j], Math.abs(h));
      this.vv[j] = betas[j] * betas[j] * this.vv[j] + h * h;
      this.rv[j] = Math.max(0, betas[j] * this.rv[j] - this.sv[j] * h);
      this.sv[j] = ((this.mv[j] * sInit) / n + this.rv[j]) / (Math.sqrt(this.vv[j]) + eps);
    }
    const scale = Math.max(
      this.sv.reduce((a, b) => a + b, 0),
      0,
    );
    x.forEach((xt, t) => {
      for (let i = 0; i < xt.length; i++) xt[i] = this.ref[t][i] + delta[t][i] * scale;
    });
    this.lastLr = lr * scale;
  }
  evalPoint(x: Float64Array[]) {
    return copy(x);
  }
  scalars() {
    return { lr: this.lastLr, s: this.sv.reduce((a, b) => a + b, 0) };
  }
}

export function createHostOptimizer(spec: LrFreeSpec, shapes: number[][]): HostOptimizer {
  switch (spec.type) {
    case 'schedulefree-adamw':
      return new ScheduleFreeHost(spec, shapes);
    case 'prodigy':
      return new ProdigyHost(spec, shapes);
    case 'dog':
      return new DogHost(spec, shapes);
    case 'dadapt-adam':
      return new DAdaptAdamHost(spec, shapes);
    case 'mechanic':
      return new MechanicHost(spec, shapes);
  }
}
