// The common body of every base optimizer (AdamW, Lion, SGDm, SGD, RMSProp): named per-parameter state and
// one fused kernel call per tensor (src/kernels/optim-step) with the coefficients of the optimizer's rule
// (adamw.ts, ...). It is a TracedOptimizer (types.ts): MetaOptimize wraps it through stepFused / stepOnDevice.
import * as tf from '@tensorflow/tfjs-core';
import {
  canStepInPlace,
  newPartials,
  partialCount,
  optimStep,
  optimStepInPlace,
  traceDotPartials,
  traceDotSeparate,
} from '../kernels/optim-step/index.js';
import { CheckpointError, TrainingError } from '../util/errors.js';
import { decayOf, stepAttrs, type BaseRule, type BaseSpec } from './base-rule.js';
import { sameShape, stateTensor, zerosVariable } from './state.js';
import type {
  DeviceAlphas,
  GradMap,
  KernelImpl,
  OptimizerState,
  ParamMap,
  ParamSpec,
  StepInfo,
  TraceArgs,
  TracedOptimizer,
  TracePartials,
} from './types.js';

export type { DeviceAlphas, KernelImpl, ParamSpec, TraceArgs, TracePartials } from './types.js';

export function paramSpecs(params: ParamMap | ParamSpec[]): ParamSpec[] {
  if (Array.isArray(params)) return params.map((p) => ({ name: p.name, shape: [...p.shape] }));
  return [...params].map(([name, v]) => ({ name, shape: [...v.shape] }));
}

export class FusedOptimizer implements TracedOptimizer {
  readonly blockNames = ['all'];
  /** Steps taken so far (t of the bias corrections; the next step is t + 1). */
  protected t = 0;
  private readonly slots: Map<string, Partial<Record<'m' | 'v', tf.Variable>>> = new Map();

  constructor(
    readonly name: string,
    readonly params: ParamSpec[],
    readonly rule: BaseRule,
    readonly spec: BaseSpec,
    protected readonly impl: KernelImpl = 'auto',
  ) {
    for (const p of params) {
      const s: Partial<Record<'m' | 'v', tf.Variable>> = {};
      for (const slot of rule.slots) s[slot] = zerosVariable(p.shape);
      this.slots.set(p.name, s);
    }
  }

  get stepCount(): number {
    return this.t;
  }

  /** Parameter-sized buffers this optimizer holds (AdamW: 2 per parameter tensor). */
  get bufferCount(): number {
    return this.params.length * this.rule.slots.length;
  }

  async step(params: ParamMap, grads: GradMap, lr: number, gradScale?: tf.Scalar | null): Promise<StepInfo> {
    await this.stepFused(
      params,
      grads,
      this.params.map(() => lr),
      null,
      gradScale ?? undefined,
    );
    return { lr: [lr] };
  }

  /**
   * One step of every parameter with step size alphas[i] for params[i]. The kernel runs in place where it
   * can (attrs `inPlace`): on cpu, an array obtained earlier from a parameter's or state's dataSync()/data()
   * is overwritten by the next step unless the tensor was cloned; copy such arrays (slice) to keep them.
   * With `trace`, also updates h and returns Σ h·g per parameter (old h, float64 sums of the kernel's
   * partials); without, returns null. `gradScale` multiplies every gradient (clipping), on the device.
   */
  async stepFused(
    params: ParamMap,
    grads: GradMap,
    alphas: number[] | DeviceAlphas,
    trace: TraceArgs | null,
    gradScale?: tf.Scalar,
  ): Promise<Float64Array | null> {
    const partials = this.stepOnDevice(params, grads, alphas, trace, gradScale);
    return partials && sumPartials(partials);
  }

  /**
   * stepFused without reading anything back: with `trace`, returns the partial sums of Σ h·g on the device
   * (the caller disposes them); without, null.
   */
  stepOnDevice(
    params: ParamMap,
    grads: GradMap,
    alphas: number[] | DeviceAlphas,
    trace: TraceArgs | null,
    gradScale?: tf.Scalar,
  ): TracePartials | null {
    this.t += 1;
    const tensors = this.params.map((p) => {
      const w = params.get(p.name);
      const g = grads.get(p.name);
      if (!w || !g)
        throw new TrainingError(
          `optimizer step: no ${w ? 'gradient' : 'parameter'} named ${p.name}`,
          'every parameter the optimizer was built with needs a gradient each step',
        );
      if (!sameShape(g.shape, p.shape))
        throw new TrainingError(`optimizer step: gradient of ${p.name} has shape [${g.shape}], expected [${p.shape}]`);
      const s = this.slots.get(p.name)!;
      return { w, g, m: s.m, v: s.v, h: trace?.h.get(p.name) };
    });
    const attrsOf = (i: number) => {
      const onDevice = !Array.isArray(alphas);
      const attrs = stepAttrs(
        this.rule,
        this.spec,
        onDevice ? 0 : alphas[i],
        decayOf(this.spec, this.params[i].shape),
        this.t,
        trace ? { gamma: trace.gamma } : null,
      );
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
        const z = traceDotPartials(
          tensors.map((t) => [t.h!, t.g]),
          gradScale,
        );
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
    for (const [name, s] of this.slots)
      for (const [slot, v] of Object.entries(s)) tensors.set(`${name}/${slot}`, tf.clone(v));
    return { tensors, scalars: { optimizer: this.name, step: this.t } };
  }

  setState(state: OptimizerState): void {
    const step = state.scalars.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
      throw new CheckpointError(
        `optimizer state: scalar 'step' must be a non-negative integer, got ${JSON.stringify(step)}`,
      );
    const pairs: [tf.Variable, tf.Tensor][] = [];
    for (const [name, s] of this.slots)
      for (const [slot, v] of Object.entries(s)) pairs.push([v, stateTensor(state, `${name}/${slot}`, v.shape)]);
    for (const [v, t] of pairs) v.assign(t);
    this.t = step;
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const v of Object.values(s)) v.dispose();
    this.slots.clear();
  }
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
