// MetaOptimize (Sharifnassab, Salehkaleybar & Sutton, ICML 2025), Hessian-free, exactly as
// ../shared/reference/metaoptimize.md: step sizes α_b = exp(β_b) learned online from z_b = Σ_{i∈b} h_i·g_i.
// Wraps any base optimizer; the fused kernel does base update, weight update, trace and z in one pass.
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, TrainingError } from '../../util/errors.js';
import { stateTensor, zerosVariable, type FusedOptimizer } from '../fused-optimizer.js';
import type { GradMap, Optimizer, OptimizerState, ParamMap, StepInfo } from '../types.js';
import type { BlockLayout } from './blocks.js';
import { metaUpdate, type MetaSpec, type MetaState } from './meta-update.js';

export interface MetaOptimizeOptions {
  /** Initial step size α0 (β = ln α0 for every block). */
  alpha0: number;
  /** Trace decay γ (0 = hypergradient descent). */
  gamma: number;
  meta: MetaSpec;
  blocks: BlockLayout;
}

export class MetaOptimize implements Optimizer {
  readonly name: string;
  readonly blockNames: string[];
  private readonly h = new Map<string, tf.Variable>();
  private readonly meta: MetaState;
  /** α_b = exp(β_b), kept beside β so that an unchanged β (meta `fixed`) uses α0 bit for bit. */
  private alpha: number[];
  private lastZ: number[];

  constructor(readonly base: FusedOptimizer, readonly options: MetaOptimizeOptions) {
    const nb = options.blocks.names.length;
    this.name = `metaoptimize(${base.name}, ${options.meta.type})`;
    this.blockNames = [...options.blocks.names];
    this.meta = { beta: new Array(nb).fill(Math.log(options.alpha0)), mBar: new Array(nb).fill(0), vBar: new Array(nb).fill(0) };
    this.alpha = new Array(nb).fill(options.alpha0);
    this.lastZ = new Array(nb).fill(0);
    for (const p of base.params) this.h.set(p.name, zerosVariable(p.shape));
  }

  /** Parameter-sized buffers: the base's state plus one trace h per parameter tensor. */
  get bufferCount(): number {
    return this.base.bufferCount + this.h.size;
  }

  /** β per block after the last step (float64). */
  get betas(): number[] {
    return [...this.meta.beta];
  }

  /** z per block of the last step. */
  get lastMetaGradient(): number[] {
    return [...this.lastZ];
  }

  /** `lr` (the schedule's value) is ignored: the learned step sizes are used. */
  async step(params: ParamMap, grads: GradMap, _lr: number, gradScale?: tf.Scalar | null): Promise<StepInfo> {
    const { blocks, gamma, meta } = this.options;
    const used = [...this.alpha];
    const partial = (await this.base.stepFused(params, grads, blocks.blockOf.map((b) => used[b]), { h: this.h, gamma }, gradScale ?? undefined))!;
    const z = new Array<number>(used.length).fill(0);
    blocks.blockOf.forEach((b, i) => (z[b] += partial[i]));
    this.lastZ = z;
    const bad = z.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new TrainingError(`MetaOptimize: meta-gradient z of block '${this.blockNames[bad]}' is ${z[bad]} at step ${this.base.stepCount}`,
        'the gradients or traces overflowed; lower optimizer.lr (alpha0) or optimizer.metaOptimize.meta.lr, or enable optimizer.gradClip');
    }
    const before = [...this.meta.beta];
    metaUpdate(meta, this.meta, z, this.base.stepCount);
    this.meta.beta.forEach((beta, b) => {
      if (!Number.isFinite(beta)) {
        throw new TrainingError(`MetaOptimize: log step size beta of block '${this.blockNames[b]}' became ${beta} at step ${this.base.stepCount}`,
          'lower optimizer.metaOptimize.meta.lr');
      }
      if (beta !== before[b]) this.alpha[b] = Math.exp(beta);
    });
    return { lr: used };
  }

  getState(): OptimizerState {
    const state = this.base.getState();
    for (const [name, h] of this.h) state.tensors.set(`${name}/h`, tf.clone(h));
    state.scalars = {
      ...state.scalars,
      optimizer: this.name,
      blockNames: this.blockNames,
      beta: [...this.meta.beta],
      alpha: [...this.alpha],
      metaM: [...this.meta.mBar],
      metaV: [...this.meta.vBar],
      z: [...this.lastZ],
    };
    return state;
  }

  setState(state: OptimizerState): void {
    const nb = this.blockNames.length;
    const arr = (key: string): number[] => {
      const v = state.scalars[key];
      if (!Array.isArray(v) || v.length !== nb || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new CheckpointError(`optimizer state: scalar '${key}' must be ${nb} finite numbers (blocks ${this.blockNames.join(', ')}), got ${JSON.stringify(v)}`,
          'the checkpoint was written with different MetaOptimize blocks; resume with the same optimizer section');
      }
      return [...v] as number[];
    };
    const beta = arr('beta');
    const alpha = state.scalars.alpha === undefined ? beta.map(Math.exp) : arr('alpha');
    const [mBar, vBar] = [arr('metaM'), arr('metaV')];
    const z = state.scalars.z === undefined ? new Array<number>(nb).fill(0) : arr('z');
    const hs = [...this.h].map(([name, h]) => [h, stateTensor(state, `${name}/h`, h.shape)] as const);
    this.base.setState(state);
    for (const [h, t] of hs) h.assign(t);
    Object.assign(this.meta, { beta, mBar, vBar });
    this.alpha = alpha;
    this.lastZ = z;
  }

  dispose(): void {
    this.base.dispose();
    for (const h of this.h.values()) h.dispose();
    this.h.clear();
  }
}
