// The per-tensor passes of the learning-rate-free optimizers (src/optim/lrfree, ../shared/reference/lr-free.md):
// kernel name, attrs, and the op that runs the backend's fused kernel (cpu.ts) or the stock-op reference
// (reference.ts). Global sums (Prodigy's and D-Adaptation's d, DoG's norms, mechanic's h) come back as a
// small tensor of per-tensor sums (`sums`) that the optimizer reduces on the device: nothing is read back.
import * as tf from '@tensorflow/tfjs-core';
import { lrFreePassReference } from './reference.js';
import { lrFreeCpuKernel } from './cpu.js';
import { isExclusive } from '../../backend/webgpu-raw.js';
import { newPartials, partialCount } from '../program-base.js';
import { BINDINGS } from './program.js';
import { LRFREE_IN_PLACE_KERNEL, lrFreeInPlaceWebGPUKernel } from './webgpu.js';

export const LRFREE_STEP_KERNEL = 'NanometaLrFreeStep';

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
export type LrFreePass = 'sf' | 'prodigy-acc' | 'prodigy-apply' | 'dog-norms' | 'dog-apply' | 'dadapt' | 'mechanic-sums' | 'mechanic-apply';

export interface LrFreeAttrs {
  pass: LrFreePass;
  lr: number; c: number; beta1: number; beta2: number; beta3: number; bc2: number; eps: number;
  /** The weight decay of this tensor (0 for tensors of rank < 2). */
  wd: number;
  /** dog-apply: the average's weight of the new point; dog-norms: 1 = first step (no x0 yet). */
  avgWeight: number;
  first: boolean;
  /**
   * true: the caller assigns every output to the variable that held the input of the same name right away
   * and never reads the old values again, so a backend may write an output into its input's storage when no
   * other tensor shares it (cpu: refCount 1), as NmOptimStep's `inPlace`. false: inputs stay untouched.
   */
  inPlace: boolean;
}

export type LrFreeInputs = Partial<Record<'w' | 'g' | 'z' | 'v' | 'm' | 's' | 'x0' | 'delta' | 'avg' | 'prev' | 'coef' | 'gs', tf.Tensor>>;
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

export const LRFREE_STEP_KERNELS: tf.KernelConfig[] = [lrFreeCpuKernel, lrFreeInPlaceWebGPUKernel];

let registered = false;

/** The op registers its kernels on first use too (idempotent), like NmOptimStep. */
function ensureRegistered(): void {
  if (registered) return;
  for (const k of LRFREE_STEP_KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  registered = true;
}

export function defaultAttrs(pass: LrFreePass, a: Partial<LrFreeAttrs> = {}): LrFreeAttrs {
  return { pass, lr: 0, c: 0, beta1: 0, beta2: 0, beta3: 0, bc2: 1, eps: 0, wd: 0, avgWeight: 0, first: false, inPlace: false, ...a };
}

/**
 * One pass over one parameter tensor; returns new tensors (inputs untouched unless attrs.inPlace).
 * `impl: 'reference'` forces the stock-op version. Otherwise: with attrs.inPlace on WebGPU, when every tensor
 * the pass writes is exclusive, ONE raw pass writes the outputs into the inputs' buffers and only `sums`
 * is returned (the caller then has nothing to assign); else the backend's kernel (cpu), else the reference.
 */
export function lrFreePass(inputs: LrFreeInputs, attrs: LrFreeAttrs, impl: 'auto' | 'reference' = 'auto'): LrFreeOutputs {
  ensureRegistered();
  if (impl === 'auto' && attrs.inPlace && canPassInPlace(inputs, attrs)) return passInPlace(inputs, attrs);
  if (impl === 'reference' || !tf.getKernel(LRFREE_STEP_KERNEL, tf.getBackend())) return lrFreePassReference(inputs, attrs);
  const named: tf.NamedTensorMap = {};
  for (const k of [...PASS_IO[attrs.pass].inputs, 'gs'] as const) if (inputs[k]) named[k] = inputs[k]!;
  const results = tf.engine().runKernel<tf.Tensor[]>(LRFREE_STEP_KERNEL, named, attrs as unknown as tf.NamedAttrMap);
  const out: LrFreeOutputs = {};
  PASS_IO[attrs.pass].outputs.forEach((name, i) => (out[name] = results[i]));
  return out;
}

function canPassInPlace(inputs: LrFreeInputs, attrs: LrFreeAttrs): boolean {
  if (!tf.getKernel(LRFREE_IN_PLACE_KERNEL, tf.getBackend())) return false;
  return BINDINGS[attrs.pass].write.every((name) => {
    const t = inputs[name as keyof LrFreeInputs];
    return t !== undefined && isExclusive(t);
  });
}

/** The WebGPU raw pass; its per-workgroup partials summed per quantity into `sums` (one small reduction). */
function passInPlace(inputs: LrFreeInputs, attrs: LrFreeAttrs): LrFreeOutputs {
  const k = BINDINGS[attrs.pass].sums;
  const n = (inputs.w ?? inputs.g ?? inputs.m)!.size;
  const count = partialCount(n);
  const partials = k ? newPartials(k * count) : undefined;
  const named: tf.NamedTensorMap = {};
  for (const [name, t] of Object.entries(inputs)) if (t) named[name] = t;
  if (partials) named.partials = partials;
  tf.engine().runKernel(LRFREE_IN_PLACE_KERNEL, named, attrs as unknown as tf.NamedAttrMap);
  if (!partials) return {};
  const sums = tf.tidy(() => tf.sum(tf.reshape(partials, [k, count]), 1));
  partials.dispose();
  return { sums };
}
