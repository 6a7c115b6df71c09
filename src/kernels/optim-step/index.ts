// The fused optimizer-step op `NanometaOptimStep`: one pass per parameter tensor doing the base update, the weight
// update, the MetaOptimize trace update and the partial z sum, on the backend's kernel (cpu.ts, webgpu.ts, in-place.ts)
// or, on backends without one, the stock-op reference (reference.ts). The attributes are convention-free
// coefficients (each optimizer's file in src/optim derives them), so every backend's kernel is the same few lines
// of arithmetic. See ../shared/reference/metaoptimize.md.
import * as tf from '@tensorflow/tfjs-core';
import { isExclusive } from '../../backend/webgpu-raw.js';
import { partialCount } from '../program-base.js';
import { flag } from '../../flags.js';
import {
  optimStepReference,
  usesM,
  usesV,
  type OptimStepAttrs,
  type OptimStepInputs,
  type OptimStepOutputs,
} from './reference.js';

// The attributes are defined beside the readable math that gives them meaning (reference.ts), exported from here.
export {
  optimStepReference,
  usesM,
  usesV,
  type OptimBase,
  type OptimStepAttrs,
  type OptimStepInputs,
  type OptimStepOutputs,
} from './reference.js';
export { newPartials, partialCount } from '../program-base.js';

export const OPTIM_STEP_KERNEL = 'NanometaOptimStep';
/**
 * Σ h·g (times gs) for up to TRACE_DOT_PAIRS (h, g) pairs in one call, inputs h0, g0, h1, g1, … (+ gs):
 * MetaOptimize's z for several parameter tensors at once, and (with h = g = x) Σ x² for gradient clipping. Output: the pairs' partial sums one after another
 * (cpu: one per pair; webgpu: one per 4096 elements), see traceDotLengths.
 */
export const TRACE_DOT_KERNEL = 'NanometaTraceDot';
/** Pairs per NanometaTraceDot call: 3 pairs + gs + the output = 8 storage buffers, WebGPU's guaranteed limit. */
export const TRACE_DOT_PAIRS = 3;

/** Output order of the kernel's TensorInfo[]: w, then m, v, h, z for those present. */
export function outputNames(attrs: OptimStepAttrs): (keyof OptimStepOutputs)[] {
  const names: (keyof OptimStepOutputs)[] = ['w'];
  if (usesM(attrs.base)) names.push('m');
  if (usesV(attrs.base)) names.push('v');
  if (attrs.traced) names.push('h');
  if (attrs.traced && attrs.zOut) names.push('z');
  return names;
}

/**
 * The whole step of one parameter tensor in ONE dispatch, writing w, m, v and h in place and, when traced, the
 * tensor's Σ h·g partial sums into a shared buffer at an offset (WebGPU: in-place.ts). Used only when w, m, v, h
 * are exclusive (no other tensor shares their storage), so writing them in place is safe.
 */
export const OPTIM_STEP_IN_PLACE_KERNEL = 'NanometaOptimStepInPlace';

/** Attrs: NanometaOptimStep's, plus where this tensor's partial sums start in `partials` (traced only). */
export interface InPlaceAttrs extends OptimStepAttrs {
  partOffset: number;
}

/**
 * True when this backend has the in-place step, the `optimStep` flag (src/flags.ts) allows it and every tensor
 * given may be written in place.
 */
export function canStepInPlace(tensors: Array<tf.Tensor | undefined>): boolean {
  if (flag('optimStep') !== 'in-place' || !tf.getKernel(OPTIM_STEP_IN_PLACE_KERNEL, tf.getBackend())) return false;
  return tensors.every((t) => t === undefined || isExclusive(t));
}

/**
 * One fused step for one parameter tensor; returns new tensors (inputs untouched). `impl: 'reference'`
 * forces the stock-op version (tests, debugging).
 */
export function optimStep(
  inputs: OptimStepInputs,
  attrs: OptimStepAttrs,
  impl: 'auto' | 'reference' = 'auto',
): OptimStepOutputs {
  if (impl === 'reference' || !tf.getKernel(OPTIM_STEP_KERNEL, tf.getBackend()))
    return optimStepReference(inputs, attrs);
  const named: tf.NamedTensorMap = { w: inputs.w, g: inputs.g };
  if (inputs.m) named.m = inputs.m;
  if (inputs.v) named.v = inputs.v;
  if (inputs.h) named.h = inputs.h;
  if (inputs.gs) named.gs = inputs.gs;
  if (inputs.a) named.a = inputs.a;
  const results = tf.engine().runKernel<tf.Tensor[]>(OPTIM_STEP_KERNEL, named, attrs as unknown as tf.NamedAttrMap);
  const out: Partial<Record<keyof OptimStepOutputs, tf.Tensor>> = {};
  outputNames(attrs).forEach((name, i) => (out[name] = results[i]));
  return out as OptimStepOutputs;
}

/**
 * One fused step for one parameter tensor in a single pass that overwrites w, m, v, h (WebGPU; check
 * canStepInPlace first). Traced: also writes the tensor's partialCount(size) partial sums of Σ h·g into
 * `partials` from attrs.partOffset on. Returns nothing: the inputs are the outputs.
 */
export function optimStepInPlace(inputs: OptimStepInputs, attrs: InPlaceAttrs, partials?: tf.Tensor): void {
  const named: tf.NamedTensorMap = { w: inputs.w, g: inputs.g };
  for (const k of ['m', 'v', 'h', 'gs', 'a'] as const) if (inputs[k]) named[k] = inputs[k]!;
  if (partials) named.partials = partials;
  tf.engine().runKernel(OPTIM_STEP_IN_PLACE_KERNEL, named, attrs as unknown as tf.NamedAttrMap);
}

/** Σ x² of one tensor as a 1-D tensor of partial sums (sum them for the total): NanometaTraceDot on (x, x). */
export function sumSquaresPartials(x: tf.Tensor): tf.Tensor1D {
  return traceDotPartials([[x, x]]).partials;
}

/**
 * Backends whose NanometaOptimStep computes z in a pass of its own (WebGPU: tfjs programs have one output): there
 * the optimizer asks the step for no z and sums h·g for up to TRACE_DOT_PAIRS tensors per dispatch instead.
 * On cpu, z comes free from the fused loop.
 */
const SEPARATE_Z_BACKENDS = new Set(['webgpu']);

export function traceDotSeparate(): boolean {
  return SEPARATE_Z_BACKENDS.has(tf.getBackend());
}

/**
 * Σ h·g·gs for each (h, g) pair, TRACE_DOT_PAIRS per kernel call: the partial sums of all pairs in one
 * 1-D tensor and how many belong to each pair (in order). Stock ops where no kernel is registered.
 */
export function traceDotPartials(
  pairs: Array<[tf.Tensor, tf.Tensor]>,
  gs?: tf.Tensor,
): { partials: tf.Tensor1D; lengths: number[] } {
  const lengths: number[] = [];
  const partials = tf.tidy(() => {
    const outs: tf.Tensor1D[] = [];
    for (let i = 0; i < pairs.length; i += TRACE_DOT_PAIRS) {
      const group = pairs.slice(i, i + TRACE_DOT_PAIRS);
      if (!tf.getKernel(TRACE_DOT_KERNEL, tf.getBackend())) {
        for (const [h, g] of group) {
          outs.push(tf.reshape(tf.sum(tf.mul(h, gs ? tf.mul(g, tf.reshape(gs, [])) : g)), [1]) as tf.Tensor1D);
          lengths.push(1);
        }
        continue;
      }
      const named: tf.NamedTensorMap = {};
      group.forEach(([h, g], p) => {
        named[`h${p}`] = h;
        named[`g${p}`] = g;
      });
      if (gs) named.gs = gs;
      const out = tf.engine().runKernel(TRACE_DOT_KERNEL, named) as tf.Tensor1D;
      // cpu: one partial per pair; webgpu: one per 4096 elements of each pair
      const perPair = out.shape[0] === group.length ? group.map(() => 1) : group.map(([h]) => partialCount(h.size));
      lengths.push(...perPair);
      outs.push(out);
    }
    return outs.length === 1 ? outs[0] : (tf.concat(outs) as tf.Tensor1D);
  });
  return { partials, lengths };
}
