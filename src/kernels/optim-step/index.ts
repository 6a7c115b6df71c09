// The fused optimizer-step op: runs the backend's registered `NmOptimStep` kernel (cpu: cpu.ts; webgpu:
// webgpu.ts) or, on backends without one, the stock-op reference (reference.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { OptimStepAttrs, OptimStepInputs, OptimStepOutputs } from './attrs.js';
import { OPTIM_STEP_KERNEL, TRACE_DOT_KERNEL, TRACE_DOT_PAIRS, outputNames } from './attrs.js';
import { optimStepCpuKernel, traceDotCpuKernel } from './cpu.js';
import { optimStepWebGPUKernel, traceDotWebGPUKernel } from './webgpu.js';
import { optimStepReference } from './reference.js';
import { OPTIM_STEP_IN_PLACE_KERNEL, optimStepInPlaceWebGPUKernel, type InPlaceAttrs } from './in-place.js';
import { partialCount } from '../program-base.js';

export type { OptimBase, OptimStepAttrs, OptimStepInputs, OptimStepOutputs } from './attrs.js';
export { OPTIM_STEP_KERNEL } from './attrs.js';
export { optimStepReference } from './reference.js';
export { canStepInPlace, type InPlaceAttrs } from './in-place.js';
export { newPartials, partialCount } from '../program-base.js';

/** The kernels of this op, for the one registerKernels() list of backend set-up (STYLE 14). */
export const OPTIM_STEP_KERNELS: tf.KernelConfig[] = [
  optimStepCpuKernel, optimStepWebGPUKernel, traceDotCpuKernel, traceDotWebGPUKernel, optimStepInPlaceWebGPUKernel,
];

/** Registers the kernels not yet registered (idempotent; optimStep also calls it on first use). */
export function registerOptimStepKernels(): void {
  for (const k of OPTIM_STEP_KERNELS) {
    if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  }
}

let registered = false;

/** optimStep and the reductions below register the kernels on first use too (idempotent). */
function ensureRegistered(): void {
  if (registered) return;
  registerOptimStepKernels();
  registered = true;
}

/**
 * One fused step for one parameter tensor; returns new tensors (inputs untouched). `impl: 'reference'`
 * forces the stock-op version (tests, debugging).
 */
export function optimStep(inputs: OptimStepInputs, attrs: OptimStepAttrs, impl: 'auto' | 'reference' = 'auto'): OptimStepOutputs {
  ensureRegistered();
  if (impl === 'reference' || !tf.getKernel(OPTIM_STEP_KERNEL, tf.getBackend())) return optimStepReference(inputs, attrs);
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
  ensureRegistered();
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
 * Backends whose NmOptimStep computes z in a pass of its own (WebGPU: tfjs programs have one output): there
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
export function traceDotPartials(pairs: Array<[tf.Tensor, tf.Tensor]>, gs?: tf.Tensor): { partials: tf.Tensor1D; lengths: number[] } {
  ensureRegistered();
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
