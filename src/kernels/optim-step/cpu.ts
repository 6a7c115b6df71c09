// Fast cpu kernel of `NanometaOptimStep`: a single JS loop over the typed arrays of w, g, m, v, h (float64
// arithmetic, float32 storage) doing base update, weight update, trace update and Σ h·g in one pass.
// One specialised loop per base optimizer and traced/untraced, so the hot loops carry no branches.
// Same math as reference.ts; listed in cpuKernels for kernels/register.ts.
import type * as tf from '@tensorflow/tfjs-core';
import type { CpuLikeBackend } from '../cpu-backend.js';
import type { OptimStepAttrs } from './index.js';
import { OPTIM_STEP_KERNEL, TRACE_DOT_KERNEL, usesM, usesV } from './index.js';

const EMPTY = new Float32Array(0);

const optimStepCpuKernel: tf.KernelConfig = {
  kernelName: OPTIM_STEP_KERNEL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const be = backend as CpuLikeBackend;
    const given = attrs as unknown as OptimStepAttrs;
    const read = (name: string): Float32Array => {
      const info = inputs[name];
      if (!info) throw new Error(`${OPTIM_STEP_KERNEL}: input ${name} is required for base ${given.base}`);
      if (info.dtype !== 'float32')
        throw new Error(`${OPTIM_STEP_KERNEL}: input ${name} must be float32, got ${info.dtype}`);
      return be.readSync(info.dataId) as Float32Array;
    };
    // a step size held in a tensor (alphaIndex ≥ 0) replaces the attr
    const a = given.alphaIndex >= 0 ? { ...given, alpha: read('a')[given.alphaIndex] } : given;
    const w = read('w');
    const gRaw = read('g');
    // gs (1 element): the gradient scale; a scaled copy of g keeps the specialised loops below unchanged.
    const gs = inputs.gs ? read('gs')[0] : 1;
    const g = gs === 1 ? gRaw : gRaw.map((x) => x * gs);
    const n = w.length;
    const m = usesM(a.base) ? read('m') : EMPTY;
    const v = usesV(a.base) ? read('v') : EMPTY;
    const h = a.traced ? read('h') : EMPTY;
    // inPlace: an input's storage that no other tensor shares (refCount 1) is overwritten element by element
    // (each element is read before it is written) instead of allocating a new array (attrs `inPlace`, reference.ts).
    const out = (name: string, values: Float32Array): Float32Array =>
      a.inPlace && be.refCount(inputs[name]!.dataId) === 1 ? values : new Float32Array(n);
    const wOut = out('w', w);
    const mOut = usesM(a.base) ? out('m', m) : EMPTY;
    const vOut = usesV(a.base) ? out('v', v) : EMPTY;
    const hOut = a.traced ? out('h', h) : EMPTY;
    const z = loop(a, n, w, g, m, v, h, wOut, mOut, vOut, hOut);
    const shape = inputs.w!.shape;
    const outs = [be.makeTensorInfo(shape, 'float32', wOut)];
    if (usesM(a.base)) outs.push(be.makeTensorInfo(shape, 'float32', mOut));
    if (usesV(a.base)) outs.push(be.makeTensorInfo(shape, 'float32', vOut));
    if (a.traced) outs.push(be.makeTensorInfo(shape, 'float32', hOut));
    if (a.traced && a.zOut) outs.push(be.makeTensorInfo([1], 'float32', Float32Array.of(z)));
    return outs;
  },
};

interface Arrays {
  n: number;
  w: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  h: Float32Array;
  wOut: Float32Array;
  mOut: Float32Array;
  vOut: Float32Array;
  hOut: Float32Array;
}

/**
 * The fused loop; returns Σ h·g (0 when untraced). One specialised loop per base and per traced/untraced
 * (no per-element branches on the base); the weight and trace tail is written out in each loop.
 */
export function loop(
  a: OptimStepAttrs,
  n: number,
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  h: Float32Array,
  wOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  hOut: Float32Array,
): number {
  const x: Arrays = { n, w, g, m, v, h, wOut, mOut, vOut, hOut };
  switch (a.base) {
    case 'adamw':
      return a.traced ? adamwTraced(a, x) : adamw(a, x);
    case 'rmsprop':
      return a.traced ? rmspropTraced(a, x) : rmsprop(a, x);
    case 'lion':
      return a.traced ? lionTraced(a, x) : lion(a, x);
    case 'sgdm':
      return a.traced ? sgdmTraced(a, x) : sgdm(a, x);
    case 'sgd':
      return a.traced ? sgdTraced(a, x) : sgd(a, x);
  }
}

function adamw(a: OptimStepAttrs, { n, w, g, m, v, wOut, mOut, vOut }: Arrays): number {
  const { alpha, kappa, decay1, gain1, decay2, gain2, scale1, scale2, epsIn, epsOut } = a;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i];
    const mi = decay1 * m[i] + gain1 * gi;
    const vi = decay2 * v[i] + gain2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = wi - alpha * ((scale1 * mi) / (Math.sqrt(scale2 * vi + epsIn) + epsOut) + kappa * wi);
  }
  return 0;
}

function adamwTraced(a: OptimStepAttrs, { n, w, g, m, v, h, wOut, mOut, vOut, hOut }: Arrays): number {
  const { alpha, kappa, decay1, gain1, decay2, gain2, scale1, scale2, epsIn, epsOut } = a;
  const carry = a.gamma * (1 - alpha * kappa);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      hi = h[i];
    const mi = decay1 * m[i] + gain1 * gi;
    const vi = decay2 * v[i] + gain2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    const delta = alpha * ((scale1 * mi) / (Math.sqrt(scale2 * vi + epsIn) + epsOut) + kappa * wi);
    wOut[i] = wi - delta;
    z += hi * gi;
    hOut[i] = carry * hi - delta;
  }
  return z;
}

function rmsprop(a: OptimStepAttrs, { n, w, g, v, wOut, vOut }: Arrays): number {
  const { alpha, kappa, decay2, gain2, scale2, epsIn, epsOut } = a;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i];
    const vi = decay2 * v[i] + gain2 * gi * gi;
    vOut[i] = vi;
    wOut[i] = wi - alpha * (gi / (Math.sqrt(scale2 * vi + epsIn) + epsOut) + kappa * wi);
  }
  return 0;
}

function rmspropTraced(a: OptimStepAttrs, { n, w, g, v, h, wOut, vOut, hOut }: Arrays): number {
  const { alpha, kappa, decay2, gain2, scale2, epsIn, epsOut } = a;
  const carry = a.gamma * (1 - alpha * kappa);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      hi = h[i];
    const vi = decay2 * v[i] + gain2 * gi * gi;
    vOut[i] = vi;
    const delta = alpha * (gi / (Math.sqrt(scale2 * vi + epsIn) + epsOut) + kappa * wi);
    wOut[i] = wi - delta;
    z += hi * gi;
    hOut[i] = carry * hi - delta;
  }
  return z;
}

function lion(a: OptimStepAttrs, { n, w, g, m, wOut, mOut }: Arrays): number {
  const { alpha, kappa, decay1, gain1, interp } = a;
  const interpG = 1 - interp;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      mi = m[i];
    mOut[i] = decay1 * mi + gain1 * gi;
    wOut[i] = wi - alpha * (Math.sign(interp * mi + interpG * gi) + kappa * wi); // old m: Lion order
  }
  return 0;
}

function lionTraced(a: OptimStepAttrs, { n, w, g, m, h, wOut, mOut, hOut }: Arrays): number {
  const { alpha, kappa, decay1, gain1, interp } = a;
  const interpG = 1 - interp;
  const carry = a.gamma * (1 - alpha * kappa);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      mi = m[i],
      hi = h[i];
    mOut[i] = decay1 * mi + gain1 * gi;
    const delta = alpha * (Math.sign(interp * mi + interpG * gi) + kappa * wi);
    wOut[i] = wi - delta;
    z += hi * gi;
    hOut[i] = carry * hi - delta;
  }
  return z;
}

function sgdm(a: OptimStepAttrs, { n, w, g, m, wOut, mOut }: Arrays): number {
  const { alpha, kappa, decay1, gain1, oldMomentum } = a;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      mOld = m[i];
    const mi = decay1 * mOld + gain1 * gi;
    mOut[i] = mi;
    wOut[i] = wi - alpha * ((oldMomentum ? mOld : mi) + kappa * wi);
  }
  return 0;
}

function sgdmTraced(a: OptimStepAttrs, { n, w, g, m, h, wOut, mOut, hOut }: Arrays): number {
  const { alpha, kappa, decay1, gain1, oldMomentum } = a;
  const carry = a.gamma * (1 - alpha * kappa);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      mOld = m[i],
      hi = h[i];
    const mi = decay1 * mOld + gain1 * gi;
    mOut[i] = mi;
    const delta = alpha * ((oldMomentum ? mOld : mi) + kappa * wi);
    wOut[i] = wi - delta;
    z += hi * gi;
    hOut[i] = carry * hi - delta;
  }
  return z;
}

function sgd(a: OptimStepAttrs, { n, w, g, wOut }: Arrays): number {
  const { alpha, kappa } = a;
  for (let i = 0; i < n; i++) wOut[i] = w[i] - alpha * (g[i] + kappa * w[i]);
  return 0;
}

function sgdTraced(a: OptimStepAttrs, { n, w, g, h, wOut, hOut }: Arrays): number {
  const { alpha, kappa } = a;
  const carry = a.gamma * (1 - alpha * kappa);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      hi = h[i];
    const delta = alpha * (gi + kappa * wi);
    wOut[i] = wi - delta;
    z += hi * gi;
    hOut[i] = carry * hi - delta;
  }
  return z;
}

/** `NanometaTraceDot` on cpu: one float64 Σ h·g·gs per (h, g) pair. */
const traceDotCpuKernel: tf.KernelConfig = {
  kernelName: TRACE_DOT_KERNEL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const be = backend as CpuLikeBackend;
    const gs = inputs.gs ? (be.readSync(inputs.gs.dataId) as Float32Array)[0] : 1;
    const sums: number[] = [];
    for (let p = 0; inputs[`h${p}`]; p++) {
      const h = be.readSync(inputs[`h${p}`]!.dataId) as Float32Array;
      const g = be.readSync(inputs[`g${p}`]!.dataId) as Float32Array;
      let s = 0;
      for (let i = 0; i < h.length; i++) s += h[i] * (gs === 1 ? g[i] : Math.fround(g[i] * gs)); // g·gs as NanometaOptimStep rounds it
      sums.push(s);
    }
    return be.makeTensorInfo([sums.length], 'float32', Float32Array.from(sums));
  },
};

export const cpuKernels: tf.KernelConfig[] = [optimStepCpuKernel, traceDotCpuKernel];
