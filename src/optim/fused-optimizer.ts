// The common body of every base optimizer (AdamW, Lion, SGDm, SGD, RMSProp): named per-parameter state and
// one fused kernel call per tensor (src/kernels/optim-step). `stepFused` is what MetaOptimize wraps: it
// takes a step size per tensor and, optionally, the traces h, and returns the partial sums Σ h·g.
import * as tf from '@tensorflow/tfjs-core';
import { canStepInPlace, newPartials, partialCount, optimStep, optimStepInPlace, traceDotPartials, traceDotSeparate } from '../kernels/optim-step/index.js';
import { CheckpointError, TrainingError } from '../util/errors.js';
import type { BaseSpec } from './base-spec.js';
import { decayOf, kernelAttrs, stateSlots } from './base-spec.js';
import type { GradMap, Optimizer, OptimizerState, ParamMap, StepInfo } from './types.js';

/** A parameter as the optimizer sees it: stable name and shape. */
export interface ParamSpec {
  name: string;
  shape: number[];
}

/** The MetaOptimize traces, one h per parameter (same names), and the trace decay gamma. */
export interface TraceArgs {
  h: Map<string, tf.Variable>;
  gamma: number;
}

/**
 * Step sizes held on the device: parameter i uses element index[i] of `tensor` (read flat), so a step size
 * the device computed (MetaOptimize's α) needs no read-back.
 */
export interface DeviceAlphas {
  tensor: tf.Tensor;
  index: number[];
}

/** The Σ h·g partial sums of one traced step, still on the device, and how many belong to each parameter. */
export interface TracePartials {
  partials: tf.Tensor1D;
  lengths: number[];
}

/** 'auto' = the backend's fused kernel; 'reference' = the stock-op version (tests). */
export type KernelImpl = 'auto' | 'reference';

export function paramSpecs(params: ParamMap | ParamSpec[]): ParamSpec[] {
  if (Array.isArray(params)) return params.map((p) => ({ name: p.name, shape: [...p.shape] }));
  return [...params].map(([name, v]) => ({ name, shape: [...v.shape] }));
}

export class FusedOptimizer implements Optimizer {
  readonly blockNames = ['all'];
  /** Steps taken so far (t of the bias corrections; the next step is t + 1). */
  protected t = 0;
  private readonly slots: Map<string, Partial<Record<'m' | 'v', tf.Variable>>> = new Map();

  constructor(
    readonly name: string,
    readonly params: ParamSpec[],
    readonly spec: BaseSpec,
    protected readonly impl: KernelImpl = 'auto',
  ) {
    for (const p of params) {
      const s: Partial<Record<'m' | 'v', tf.Variable>> = {};
      for (const slot of stateSlots(spec.type)) s[slot] = zerosVariable(p.shape);
      this.slots.set(p.name, s);
    }
  }

  get stepCount(): number {
    return this.t;
  }

  /** Parameter-sized buffers this optimizer holds (AdamW: 2 per parameter tensor). */
  get bufferCount(): number {
    return this.params.length * stateSlots(this.spec.type).length;
  }

  async step(params: ParamMap, grads: GradMap, lr: number, gradScale?: tf.Scalar | null): Promise<StepInfo> {
    await this.stepFused(params, grads, this.params.map(() => lr), null, gradScale ?? undefined);
    return { lr: [lr] };
  }

  /**
   * One step of every parameter with step size alphas[i] for params[i]. The kernel runs in place where it
   * can (attrs `inPlace`): on cpu, an array obtained earlier from a parameter's or state's dataSync()/data()
   * is overwritten by the next step unless the tensor was cloned; copy such arrays (slice) to keep them.
   * With `trace`, also updates h and returns Σ h·g per parameter (old h, float64 sums of the kernel's
   * partials); without, returns null. `gradScale` multiplies every gradient (clipping), on the device.
   */
  async stepFused(params: ParamMap, grads: GradMap, alphas: number[] | DeviceAlphas, trace: TraceArgs | null, gradScale?: tf.Scalar): Promise<Float64Array | null> {
    const partials = this.stepOnDevice(params, grads, alphas, trace, gradScale);
    return partials && sumPartials(partials);
  }

  /**
   * stepFused without reading anything back: with `trace`, returns the partial sums of Σ h·g on the device
   * (the caller disposes them); without, null.
   */
  stepOnDevice(params: ParamMap, grads: GradMap, alphas: number[] | DeviceAlphas, trace: TraceArgs | null, gradScale?: tf.Scalar): TracePartials | null {
    this.t += 1;
    const tensors = this.params.map((p) => {
      const w = params.get(p.name);
      const g = grads.get(p.name);
      if (!w || !g) throw new TrainingError(`optimizer step: no ${w ? 'gradient' : 'parameter'} named ${p.name}`, 'every parameter the optimizer was built with needs a gradient each step');
      if (!sameShape(g.shape, p.shape)) throw new TrainingError(`optimizer step: gradient of ${p.name} has shape [${g.shape}], expected [${p.shape}]`);
      const s = this.slots.get(p.name)!;
      return { w, g, m: s.m, v: s.v, h: trace?.h.get(p.name) };
    });
    const attrsOf = (i: number) => {
      const onDevice = !Array.isArray(alphas);
      const attrs = kernelAttrs(this.spec, onDevice ? 0 : alphas[i], decayOf(this.spec, this.params[i].shape), this.t, trace ? { gamma: trace.gamma } : null);
      if (onDevice) attrs.alphaIndex = alphas.index[i];
      return attrs;
    };
    const a = Array.isArray(alphas) ? undefined : alphas.tensor;
    if (this.impl === 'auto' && canStepInPlace(tensors.flatMap(({ w, m, v, h }) => [w, m, v, h]))) {
      // WebGPU: one pass per tensor writes w, m, v, h in place and its Σ h·g partials into one shared tensor
      const lengths = trace ? this.params.map((p) => partialCount(tf.util.sizeFromShape(p.shape))) : [];
      const partials = trace ? newPartials(lengths.reduce((x, y) => x + y, 0)) : undefined;
      let partOffset = 0;
      tensors.forEach((t, i) => {
        optimStepInPlace({ ...t, gs: gradScale, a }, { ...attrsOf(i), partOffset }, partials);
        if (trace) partOffset += lengths[i];
      });
      return partials ? { partials, lengths } : null;
    }
    // Where the step kernel would compute z in a pass of its own (WebGPU), z of three tensors at a time
    // costs fewer dispatches; it reads the old h and g, so it is issued before any h is replaced.
    const separateZ = trace !== null && traceDotSeparate();
    const lengths: number[] = [];
    const flat = tf.tidy((): tf.Tensor | undefined => {
      const partials: tf.Tensor1D[] = [];
      if (separateZ) {
        const z = traceDotPartials(tensors.map((t) => [t.h!, t.g]), gradScale);
        partials.push(z.partials);
        lengths.push(...z.lengths);
      }
      tensors.forEach(({ w, g, m, v, h }, i) => {
        const attrs = attrsOf(i);
        attrs.inPlace = true; // the outputs are assigned to w, m, v, h just below
        attrs.zOut = trace !== null && !separateZ;
        const out = optimStep({ w, g, m, v, h, gs: gradScale, a }, attrs, this.impl);
        w.assign(out.w);
        if (m) m.assign(out.m!);
        if (v) v.assign(out.v!);
        if (h) h.assign(out.h!);
        if (out.z) {
          partials.push(out.z);
          lengths.push(out.z.shape[0]);
        }
      });
      return trace && partials.length ? (partials.length === 1 ? partials[0] : tf.concat(partials)) : undefined; // one tensor for all partial sums
    });
    if (!trace) return null;
    return { partials: (flat ?? tf.zeros([0])) as tf.Tensor1D, lengths };
  }

  getState(): OptimizerState {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, s] of this.slots) for (const [slot, v] of Object.entries(s)) tensors.set(`${name}/${slot}`, tf.clone(v));
    return { tensors, scalars: { optimizer: this.name, step: this.t } };
  }

  setState(state: OptimizerState): void {
    const step = state.scalars.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new CheckpointError(`optimizer state: scalar 'step' must be a non-negative integer, got ${JSON.stringify(step)}`);
    const pairs: [tf.Variable, tf.Tensor][] = [];
    for (const [name, s] of this.slots) for (const [slot, v] of Object.entries(s)) pairs.push([v, stateTensor(state, `${name}/${slot}`, v.shape)]);
    for (const [v, t] of pairs) v.assign(t);
    this.t = step;
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const v of Object.values(s)) v.dispose();
    this.slots.clear();
  }
}

/** The named tensor of a saved state, checked against the expected shape (CheckpointError otherwise). */
export function stateTensor(state: OptimizerState, key: string, shape: readonly number[]): tf.Tensor {
  const t = state.tensors.get(key);
  if (!t) throw new CheckpointError(`optimizer state has no tensor '${key}'`, 'the checkpoint was written by a different optimizer configuration; resume with the same optimizer section');
  if (!sameShape(t.shape, shape)) throw new CheckpointError(`optimizer state tensor '${key}' has shape [${t.shape}], expected [${shape}]`);
  if (t.dtype !== 'float32') throw new CheckpointError(`optimizer state tensor '${key}' has dtype ${t.dtype}, expected float32`);
  return t;
}

/** A non-trainable float32 zeros variable (the zeros tensor itself is tidied away). */
export function zerosVariable(shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape), false, undefined, 'float32'));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** One asynchronous read-back of all partials (disposed after); sums each tensor's partials in float64. */
async function sumPartials({ partials, lengths }: TracePartials): Promise<Float64Array> {
  const sums = new Float64Array(lengths.length);
  const flat = await partials.data();
  partials.dispose();
  let k = 0;
  lengths.forEach((n, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += flat[k++];
    sums[i] = s;
  });
  return sums;
}
