// The common body of the learning-rate-free optimizers (lr-free.md): named per-parameter state
// (`<param>/z` ...), a small float32 tensor of global scalars kept on the device (d, η, s, ...) so a step
// never waits for a read-back, and the evaluation point. Subclasses write one method's step (src/optim/lrfree/*.ts).
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, TrainingError } from '../../util/errors.js';
import {
  lrFreePass,
  type LrFreeAttrs,
  type LrFreeInputs,
  type LrFreeOutputs,
} from '../../kernels/lrfree-step/index.js';
import { stateTensor, zerosVariable } from '../state.js';
import type { KernelImpl, ParamSpec } from '../types.js';
import type { GradMap, Optimizer, OptimizerState, ParamMap, StepInfo } from '../types.js';

/** Name of the device scalars in the saved state (no parameter name contains '/'). */
export const SCALARS_KEY = 'lrfree/scalars';

export interface Slot {
  name: string;
  param: ParamSpec;
  w: tf.Variable;
  g: tf.Tensor;
  state: Record<string, tf.Variable>;
}

export abstract class LrFreeOptimizer implements Optimizer {
  readonly blockNames = ['all'];
  /** Steps taken (k of the authors' code: the next step is k). */
  protected k = 0;
  protected readonly slots = new Map<string, Record<string, tf.Variable>>();
  /** The method's global scalars on the device (layout: `scalarNames`). */
  protected readonly scalars: tf.Variable;
  /** Host copy of `scalars` as of the last sync() (null: the device holds newer values). */
  private host: number[] | null;

  constructor(
    readonly name: string,
    readonly params: ParamSpec[],
    readonly slotNames: string[],
    readonly scalarNames: string[],
    initialScalars: number[],
    protected readonly impl: KernelImpl = 'auto',
  ) {
    for (const p of params)
      this.slots.set(p.name, Object.fromEntries(slotNames.map((s) => [s, zerosVariable(p.shape)])));
    this.scalars = tf.tidy(() => tf.variable(tf.tensor1d(initialScalars, 'float32'), false));
    this.host = Array.from(Float32Array.from(initialScalars));
  }

  get stepCount(): number {
    return this.k;
  }

  /** Parameter-sized buffers this optimizer holds (lr-free.md "Memory per parameter"). */
  get bufferCount(): number {
    return this.params.length * this.slotNames.length;
  }

  /** One step of the method on all slots, inside a tidy; returns the new scalars tensor (assigned after). */
  protected abstract update(slots: Slot[], lr: number, gs: tf.Scalar | undefined): tf.Tensor1D;

  /** The step size of the last step and the learned scalars, from the host copy of the scalars (for logs). */
  protected abstract describe(s: number[]): { lr: number; learned: Record<string, number> };

  async step(params: ParamMap, grads: GradMap, lr: number, gradScale?: tf.Scalar | null): Promise<StepInfo> {
    const slots = this.params.map((p): Slot => {
      const w = params.get(p.name),
        g = grads.get(p.name);
      if (!w || !g)
        throw new TrainingError(
          `optimizer step: no ${w ? 'gradient' : 'parameter'} named ${p.name}`,
          'every parameter the optimizer was built with needs a gradient each step',
        );
      if (g.shape.join() !== p.shape.join())
        throw new TrainingError(`optimizer step: gradient of ${p.name} has shape [${g.shape}], expected [${p.shape}]`);
      return { name: p.name, param: p, w, g, state: this.slots.get(p.name)! };
    });
    tf.tidy(() => {
      const next = this.update(slots, lr, gradScale ?? undefined);
      this.scalars.assign(next);
    });
    this.k += 1;
    this.host = null;
    return { lr: null };
  }

  /** Reads the scalars back (waits for the device), checks them, returns the last step's step size. */
  async sync(): Promise<StepInfo & { learned: Record<string, number> }> {
    if (!this.host) {
      const values = Array.from(await this.scalars.data());
      const bad = values.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0)
        throw new TrainingError(
          `${this.name}: ${this.scalarNames[bad]} became ${values[bad]} by step ${this.k}`,
          'the gradients overflowed; enable optimizer.gradClip or lower optimizer.lr',
        );
      this.host = values;
    }
    const { lr, learned } = this.describe(this.host);
    return { lr: [lr], learned };
  }

  /**
   * One pass of the kernel (index.ts) with this optimizer's impl, in place (attrs.inPlace): every caller assigns
   * the outputs to the variables of the same-named inputs right away and reads the old values no more.
   */
  protected pass(inputs: LrFreeInputs, attrs: LrFreeAttrs): LrFreeOutputs {
    return lrFreePass(inputs, { ...attrs, inPlace: true }, this.impl);
  }

  /** Evaluation point of every parameter (new tensors the caller disposes); null: the parameters themselves. */
  evalPoint(_params: ParamMap): Map<string, tf.Tensor> | null {
    return null;
  }

  /** Host-side scalars (JSON) a subclass adds to the saved state, and restores from it. */
  protected hostState(): Record<string, number> {
    return {};
  }

  protected setHostState(_s: Record<string, unknown>): void {}

  getState(): OptimizerState {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, s] of this.slots)
      for (const [slot, v] of Object.entries(s)) tensors.set(`${name}/${slot}`, tf.clone(v));
    tensors.set(SCALARS_KEY, tf.clone(this.scalars));
    // the device scalars themselves are saved as the SCALARS_KEY tensor (exact); state.json also shows them by
    // name when they have been read (sync() before a checkpoint), for people, not for setState
    const readable = this.host ? Object.fromEntries(this.scalarNames.map((n, i) => [n, this.host![i]])) : {};
    return { tensors, scalars: { optimizer: this.name, step: this.k, ...this.hostState(), scalarValues: readable } };
  }

  setState(state: OptimizerState): void {
    const step = state.scalars.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
      throw new CheckpointError(
        `optimizer state: scalar 'step' must be a non-negative integer, got ${JSON.stringify(step)}`,
      );
    const pairs: [tf.Variable, tf.Tensor][] = [[this.scalars, stateTensor(state, SCALARS_KEY, this.scalars.shape)]];
    for (const [name, s] of this.slots)
      for (const [slot, v] of Object.entries(s)) pairs.push([v, stateTensor(state, `${name}/${slot}`, v.shape)]);
    this.setHostState(state.scalars);
    for (const [v, t] of pairs) v.assign(t);
    this.k = step;
    this.host = null;
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const v of Object.values(s)) v.dispose();
    this.slots.clear();
    this.scalars.dispose();
  }
}

/** A finite number from saved state, or a CheckpointError naming the key. */
export function savedNumber(s: Record<string, unknown>, key: string): number {
  const v = s[key];
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new CheckpointError(
      `optimizer state: scalar '${key}' must be a number, got ${JSON.stringify(v)}`,
      'resume with the same optimizer section the checkpoint was written with',
    );
  return v;
}

/** Σ over tensors of the per-tensor sums (each a 1-D tensor of the same length), on the device. */
export function totalSums(sums: tf.Tensor[]): tf.Tensor1D {
  return tf.sum(tf.stack(sums), 0) as tf.Tensor1D;
}

/** Element i of a 1-D tensor as a scalar tensor. */
export function at(t: tf.Tensor, i: number): tf.Scalar {
  return tf.reshape(tf.slice(t, [i], [1]), []) as tf.Scalar;
}
