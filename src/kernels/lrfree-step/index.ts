// The per-tensor passes of the learning-rate-free optimizers (src/optim/lrfree, ../shared/reference/lr-free.md):
// kernel name, attrs, and the op that runs the backend's fused kernel (cpu.ts) or the stock-op reference
// (reference.ts). Global sums (Prodigy's and D-Adaptation's d, DoG's norms, mechanic's h) come back as a
// small tensor of per-tensor sums (`sums`) that the optimizer reduces on the device: nothing is read back.
import * as tf from '@tensorflow/tfjs-core';
import { isExclusive } from '../../backend/webgpu-raw.js';
import { newPartials, partialCount } from '../program-base.js';
import { BINDINGS } from './program.js';
import {
  lrFreePassReference,
  PASS_IO,
  type LrFreeAttrs,
  type LrFreeInputs,
  type LrFreeOutputs,
  type LrFreePass,
} from './reference.js';

// The attributes are defined beside the readable math that gives them meaning (reference.ts), exported from here.
export {
  lrFreePassReference,
  PASS_IO,
  type LrFreeAttrs,
  type LrFreeInputs,
  type LrFreeOutputs,
  type LrFreePass,
} from './reference.js';

export const LRFREE_STEP_KERNEL = 'NanometaLrFreeStep';
/**
 * WebGPU: one pass over one tensor in ONE dispatch, writing its outputs into the inputs' own buffers and its
 * per-workgroup sums into `partials` (webgpu.ts).
 */
export const LRFREE_IN_PLACE_KERNEL = 'NanometaLrFreeStepInPlace';

export function defaultAttrs(pass: LrFreePass, a: Partial<LrFreeAttrs> = {}): LrFreeAttrs {
  return {
    pass,
    lr: 0,
    c: 0,
    beta1: 0,
    beta2: 0,
    beta3: 0,
    bc2: 1,
    eps: 0,
    wd: 0,
    avgWeight: 0,
    first: false,
    inPlace: false,
    ...a,
  };
}

/**
 * One pass over one parameter tensor; returns new tensors (inputs untouched unless attrs.inPlace).
 * `impl: 'reference'` forces the stock-op version. Otherwise: with attrs.inPlace on WebGPU, when every tensor
 * the pass writes is exclusive, ONE raw pass writes the outputs into the inputs' buffers and only `sums`
 * is returned (the caller then has nothing to assign); else the backend's kernel (cpu), else the reference.
 */
export function lrFreePass(
  inputs: LrFreeInputs,
  attrs: LrFreeAttrs,
  impl: 'auto' | 'reference' = 'auto',
): LrFreeOutputs {
  if (impl === 'auto' && attrs.inPlace && canPassInPlace(inputs, attrs)) return passInPlace(inputs, attrs);
  if (impl === 'reference' || !tf.getKernel(LRFREE_STEP_KERNEL, tf.getBackend()))
    return lrFreePassReference(inputs, attrs);
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
