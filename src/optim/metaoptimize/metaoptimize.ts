// MetaOptimize (Sharifnassab, Salehkaleybar & Sutton, ICML 2025), Hessian-free, exactly as
// ../shared/reference/metaoptimize.md: step sizes α_b = exp(β_b) learned online from z_b = Σ_{i∈b} h_i·g_i.
// Wraps any base optimizer through the TracedOptimizer interface (types.ts): one base step per step, with the
// learned step sizes, that also updates the traces h and returns z.
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, TrainingError } from '../../util/errors.js';
import { COL, hasMetaStepKernel, metaStep, STATE_COLS, type MetaStepAttrs } from '../../kernels/meta-step/index.js';
import { kernelAttrs, type BaseSpec } from '../base-spec.js';
import { stateTensor, zerosVariable } from '../state.js';
import type { GradMap, Optimizer, OptimizerState, ParamMap, StepInfo, TracedOptimizer } from '../types.js';
import type { BlockLayout } from './blocks.js';
import { metaUpdate, type MetaSpec, type MetaState } from './meta-update.js';

/**
 * Where β and the meta moments live. 'host': float64 in JS, z read back every step (the reference; exact
 * against the authors' trajectories). 'device': a float32 (blocks, STATE_COLS) tensor updated by the
 * NanometaMetaStep kernel, so a step never waits for the device; values are read by sync(). 'auto':
 * device on WebGPU (where a read-back stalls the GPU queue), host elsewhere.
 */
export type MetaStatePlace = 'auto' | 'host' | 'device';

export interface MetaOptimizeOptions {
  /** Initial step size α0 (β = ln α0 for every block). */
  alpha0: number;
  /** Trace decay γ (0 = hypergradient descent). */
  gamma: number;
  meta: MetaSpec;
  blocks: BlockLayout;
  metaState?: MetaStatePlace;
  /**
   * With an lr schedule (optimizer.schedule not constant): the step sizes used are the learned ones times the
   * schedule's shape, lr(t) / alpha0, as the schedule multiplies Prodigy's or D-Adaptation's step; the traces
   * and z follow the step sizes used, so β still learns d loss / d ln α. Off: `lr` is ignored.
   */
  envelope?: boolean;
}

export class MetaOptimize implements Optimizer {
  readonly name: string;
  readonly blockNames: string[];
  private readonly h = new Map<string, tf.Variable>();
  private readonly meta: MetaState;
  /** α_b = exp(β_b), kept beside β so that an unchanged β (meta `fixed`) uses α0 bit for bit. */
  private alpha: number[];
  private lastZ: number[];
  private lastUsed: number[];
  /** Device place only: the per-block state (blocks, STATE_COLS), and each partial sum's block (cached). */
  private state: tf.Variable | null = null;
  private seg: { key: string; tensor: tf.Tensor1D } | null = null;
  /** Device place only: false from a step until sync() has read the state back. */
  private synced = true;
  /** The schedule's factor of the last step (1 without an envelope): the state's `used` column is before it. */
  private lastEnvelope = 1;

  constructor(
    readonly base: TracedOptimizer,
    readonly options: MetaOptimizeOptions,
  ) {
    const nb = options.blocks.names.length;
    this.name = `metaoptimize(${base.name}, ${options.meta.type})`;
    this.blockNames = [...options.blocks.names];
    this.meta = {
      beta: new Array(nb).fill(Math.log(options.alpha0)),
      mBar: new Array(nb).fill(0),
      vBar: new Array(nb).fill(0),
    };
    this.alpha = new Array(nb).fill(options.alpha0);
    this.lastZ = new Array(nb).fill(0);
    this.lastUsed = [...this.alpha];
    for (const p of base.params) this.h.set(p.name, zerosVariable(p.shape));
    const place = options.metaState ?? 'auto';
    if (place === 'device' && !hasMetaStepKernel())
      throw new TrainingError(
        `MetaOptimize: no meta-step kernel on backend ${tf.getBackend()}`,
        "use metaState 'host'",
      );
    if (place === 'device' || (place === 'auto' && tf.getBackend() === 'webgpu' && hasMetaStepKernel())) {
      this.state = zerosVariable([nb, STATE_COLS]);
      this.writeDeviceState();
    }
  }

  /** Where β lives (see MetaStatePlace). */
  get metaState(): 'host' | 'device' {
    return this.state ? 'device' : 'host';
  }

  /** Parameter-sized buffers: the base's state plus one trace h per parameter tensor. */
  get bufferCount(): number {
    return this.base.bufferCount + this.h.size;
  }

  /** β per block after the last step (float64; device place: as of the last sync()). */
  get betas(): number[] {
    return [...this.meta.beta];
  }

  /** z per block of the last step (device place: as of the last sync()). */
  get lastMetaGradient(): number[] {
    return [...this.lastZ];
  }

  /** The schedule's factor on the learned step sizes this step: lr / alpha0 with an envelope, else 1. */
  private envelopeAt(lr: number): number {
    if (!this.options.envelope) return 1;
    const s = lr / this.options.alpha0;
    if (!(s >= 0) || !Number.isFinite(s))
      throw new TrainingError(
        `MetaOptimize: schedule factor lr / alpha0 = ${lr} / ${this.options.alpha0} is not a finite number >= 0`,
      );
    return s;
  }

  /**
   * `lr` is the schedule's value: ignored without an envelope (the learned step sizes are used), the learned
   * step sizes' multiplier lr / alpha0 with one.
   */
  async step(params: ParamMap, grads: GradMap, lr: number, gradScale?: tf.Scalar | null): Promise<StepInfo> {
    const envelope = this.envelopeAt(lr);
    if (this.state) return this.stepOnDevice(params, grads, this.state, envelope, gradScale ?? undefined);
    const { blocks, gamma, meta } = this.options;
    const used = envelope === 1 ? [...this.alpha] : this.alpha.map((a) => a * envelope);
    const partial = (await this.base.stepFused(
      params,
      grads,
      blocks.blockOf.map((b) => used[b]),
      { h: this.h, gamma },
      gradScale ?? undefined,
    ))!;
    const z = new Array<number>(used.length).fill(0);
    blocks.blockOf.forEach((b, i) => (z[b] += partial[i]));
    this.lastZ = z;
    const bad = z.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new TrainingError(
        `MetaOptimize: meta-gradient z of block '${this.blockNames[bad]}' is ${z[bad]} at step ${this.base.stepCount}`,
        'the gradients or traces overflowed; lower optimizer.lr (alpha0) or optimizer.metaOptimize.meta.lr, or enable optimizer.gradClip',
      );
    }
    const before = [...this.meta.beta];
    metaUpdate(meta, this.meta, z, this.base.stepCount);
    this.meta.beta.forEach((beta, b) => {
      if (!Number.isFinite(beta)) {
        throw new TrainingError(
          `MetaOptimize: log step size beta of block '${this.blockNames[b]}' became ${beta} at step ${this.base.stepCount}`,
          'lower optimizer.metaOptimize.meta.lr',
        );
      }
      if (beta !== before[b]) this.alpha[b] = Math.exp(beta);
    });
    this.lastUsed = used;
    this.lastEnvelope = envelope;
    return this.options.envelope ? { lr: used, learned: { envelope } } : { lr: used };
  }

  /**
   * The device place: the base step takes α from the state tensor, and NanometaMetaStep turns the step's
   * Σ h·g partials into z and the new β, m̄, v̄, α, all queued behind the step; nothing is read back.
   */
  private stepOnDevice(
    params: ParamMap,
    grads: GradMap,
    state: tf.Variable,
    envelope: number,
    gradScale?: tf.Scalar,
  ): StepInfo {
    const { blocks, gamma } = this.options;
    // with an envelope the base step reads α × envelope, one small tensor per step; the state keeps the learned α
    const nb = this.blockNames.length;
    const scaled =
      envelope === 1
        ? null
        : tf.tidy(() => tf.mul(tf.reshape(tf.slice(state, [0, COL.alpha], [nb, 1]), [nb]), tf.scalar(envelope)));
    const alphas = scaled
      ? { tensor: scaled, index: blocks.blockOf }
      : { tensor: state, index: blocks.blockOf.map((b) => b * STATE_COLS + COL.alpha) };
    const z = this.base.stepOnDevice(params, grads, alphas, { h: this.h, gamma }, gradScale)!;
    scaled?.dispose();
    this.lastEnvelope = envelope;
    const next = metaStep(
      { state, partials: z.partials, seg: this.segFor(z.lengths) },
      this.metaAttrs(this.base.stepCount),
    );
    state.assign(next);
    tf.dispose([next, z.partials]);
    this.synced = false;
    return { lr: null };
  }

  /** The block of every partial sum, as an int32 tensor, kept while the layout stays the same. */
  private segFor(lengths: number[]): tf.Tensor1D {
    const key = lengths.join(',');
    if (this.seg?.key !== key) {
      this.seg?.tensor.dispose();
      const blockOf = this.options.blocks.blockOf;
      const ids = lengths.flatMap((n, i) => new Array<number>(n).fill(blockOf[i]));
      this.seg = { key, tensor: tf.tensor1d(ids, 'int32') };
    }
    return this.seg.tensor;
  }

  /** The meta optimizer as NanometaOptimStep coefficients: β's update is a base step with g = z, κ = 0, α = η. */
  private metaAttrs(t: number): MetaStepAttrs {
    const m = this.options.meta;
    const type = ({ lion: 'lion', adam: 'adamw', rmsprop: 'rmsprop', sgd: 'sgd', fixed: 'sgd' } as const)[m.type];
    const spec: BaseSpec = {
      type,
      beta1: m.beta1,
      beta2: m.beta2,
      momentum: 0,
      eps: m.eps,
      weightDecay: 0,
      convention: m.convention,
    };
    return { ...kernelAttrs(spec, m.lr, 0, t, null), moves: m.type !== 'fixed', t };
  }

  /**
   * Device place: reads the state back (waits for the device), checks it like the host place does, and
   * returns the step sizes the last step used. Host place: nothing to read.
   */
  async sync(): Promise<StepInfo> {
    if (this.state && !this.synced) {
      const s = await this.state.data();
      const col = (c: number) => this.blockNames.map((_, b) => s[b * STATE_COLS + c]);
      [this.meta.beta, this.meta.mBar, this.meta.vBar] = [col(COL.beta), col(COL.m), col(COL.v)];
      [this.alpha, this.lastZ] = [col(COL.alpha), col(COL.z)];
      this.lastUsed = col(COL.used).map((a) => a * this.lastEnvelope);
      this.synced = true;
      const badZ = col(COL.badZ),
        badBeta = col(COL.badBeta);
      const first = (xs: number[]) => xs.reduce((best, x, b) => (x > 0 && (best < 0 || x < xs[best]) ? b : best), -1);
      const [bz, bb] = [first(badZ), first(badBeta)];
      if (bz >= 0) {
        throw new TrainingError(
          `MetaOptimize: meta-gradient z of block '${this.blockNames[bz]}' was not finite (NaN or infinite) at step ${badZ[bz]}`,
          'the gradients or traces overflowed; lower optimizer.lr (alpha0) or optimizer.metaOptimize.meta.lr, or enable optimizer.gradClip',
        );
      }
      if (bb >= 0) {
        throw new TrainingError(
          `MetaOptimize: log step size beta of block '${this.blockNames[bb]}' became non-finite at step ${badBeta[bb]}`,
          'lower optimizer.metaOptimize.meta.lr',
        );
      }
    }
    return this.options.envelope
      ? { lr: [...this.lastUsed], learned: { envelope: this.lastEnvelope } }
      : { lr: [...this.lastUsed] };
  }

  /** Writes the host copies (β, m̄, v̄, α, z) into the device state; the bad-step columns start at 0. */
  private writeDeviceState(): void {
    const nb = this.blockNames.length;
    const rows = new Float32Array(nb * STATE_COLS);
    for (let b = 0; b < nb; b++) {
      const row = b * STATE_COLS;
      rows[row + COL.beta] = this.meta.beta[b];
      rows[row + COL.m] = this.meta.mBar[b];
      rows[row + COL.v] = this.meta.vBar[b];
      rows[row + COL.alpha] = this.alpha[b];
      rows[row + COL.used] = this.lastUsed[b];
      rows[row + COL.z] = this.lastZ[b];
    }
    tf.tidy(() => this.state!.assign(tf.tensor2d(rows, [nb, STATE_COLS])));
    this.synced = true;
  }

  getState(): OptimizerState {
    if (!this.synced)
      throw new TrainingError(
        'MetaOptimize.getState: the step sizes are on the device; call `await optimizer.sync()` first',
      );
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
        throw new CheckpointError(
          `optimizer state: scalar '${key}' must be ${nb} finite numbers (blocks ${this.blockNames.join(', ')}), got ${JSON.stringify(v)}`,
          'the checkpoint was written with different MetaOptimize blocks; resume with the same optimizer section',
        );
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
    this.lastUsed = [...alpha];
    this.lastEnvelope = 1;
    if (this.state) this.writeDeviceState();
  }

  dispose(): void {
    this.state?.dispose();
    this.seg?.tensor.dispose();
    this.state = null;
    this.seg = null;
    this.base.dispose();
    for (const h of this.h.values()) h.dispose();
    this.h.clear();
  }
}
