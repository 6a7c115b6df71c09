// The one optimizer interface (STYLE 15): explicit state for named parameters, `step(params, grads, lr)`,
// state saved under predictable names (`<param>/m`). MetaOptimize wraps any base optimizer that also takes
// per-parameter step sizes and the traces (TracedOptimizer).
import type * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../model/params.js';

export type { ParamMap } from '../model/params.js';
/** Gradients by parameter name (after clipping and accumulation). */
export type GradMap = Map<string, tf.Tensor>;

/** What one step did, for the metrics log and the progress line. */
export interface StepInfo {
  /**
   * Step size per block actually used this step (plain optimizers: [lr]); null when it is still on the
   * device (MetaOptimize on WebGPU): `sync()` reads it.
   */
  lr: number[] | null;
  /** Learning-rate-free methods: the learned scalars after the step (d, eta, s, ...), when read (see sync). */
  learned?: Record<string, number>;
}

/** Everything needed to continue an optimizer exactly: tensors by name, plus JSON-able scalars. */
export interface OptimizerState {
  tensors: Map<string, tf.Tensor>;
  scalars: Record<string, unknown>;
}

export interface Optimizer {
  /** Human-readable name, e.g. `adamw` or `metaoptimize(adamw, lion)`. */
  readonly name: string;
  /** Block names, one per step size (plain optimizers: ['all']). Written to config.json. */
  readonly blockNames: string[];
  /**
   * Updates every parameter in place (Variable.assign). `lr` is the scheduled learning rate; MetaOptimize
   * ignores it and uses its learned step sizes. `gradScale`, a scalar on the device (gradient clipping's
   * coefficient, optim/clip.ts), multiplies every gradient inside the fused kernel. Must leave
   * tf.memory().numTensors unchanged. Async because MetaOptimize on the host reads its per-block z back,
   * and WebGPU in Node only reads asynchronously.
   */
  step(params: ParamMap, grads: GradMap, lr: number, gradScale?: tf.Scalar | null): Promise<StepInfo>;
  /**
   * Optimizers that keep scalar state on the device: reads it back (waiting for the device), checks it,
   * and returns the last step's info with `lr` filled in. Needed before getState() and for logging.
   */
  sync?(): Promise<StepInfo>;
  /**
   * Methods evaluated away from the point where gradients are taken (Schedule-Free's x, DoG's average): that
   * evaluation point for every parameter, as new tensors the caller disposes. Absent or null: the parameters.
   */
  evalPoint?(params: ParamMap): Map<string, tf.Tensor> | null;
  /** Snapshot of the state; tensors are copies the caller disposes. */
  getState(): OptimizerState;
  /** Restores a snapshot taken by getState (shapes and names are checked). */
  setState(state: OptimizerState): void;
  dispose(): void;
}

/** A parameter as the optimizer sees it: stable name and shape. */
export interface ParamSpec {
  name: string;
  shape: number[];
}

/** 'auto' = the backend's fused kernel; 'reference' = the stock-op version (tests). */
export type KernelImpl = 'auto' | 'reference';

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

/**
 * A base optimizer MetaOptimize can wrap (metaoptimize.md): one step with a step size per parameter tensor that,
 * given the traces h, also updates them (h ← γ(1 − α·κ)·h − δ, δ the weight update) and returns Σ h·g per tensor
 * (the old h). AdamW, Lion, SGD(m) and RMSProp implement it (fused-optimizer.ts).
 */
export interface TracedOptimizer extends Optimizer {
  /** The parameters in step order; MetaOptimize keeps one trace h per entry. */
  readonly params: readonly ParamSpec[];
  /** Steps taken so far. */
  readonly stepCount: number;
  /** Parameter-sized buffers the optimizer holds. */
  readonly bufferCount: number;
  /**
   * One step with step size alphas[i] for params[i] (host numbers, or on the device); with `trace`, updates h and
   * returns Σ h·g per parameter read back as float64 sums, else null. `gradScale` multiplies every gradient.
   */
  stepFused(
    params: ParamMap,
    grads: GradMap,
    alphas: number[] | DeviceAlphas,
    trace: TraceArgs | null,
    gradScale?: tf.Scalar,
  ): Promise<Float64Array | null>;
  /** stepFused without reading back: the Σ h·g partial sums stay on the device (the caller disposes them). */
  stepOnDevice(
    params: ParamMap,
    grads: GradMap,
    alphas: number[] | DeviceAlphas,
    trace: TraceArgs | null,
    gradScale?: tf.Scalar,
  ): TracePartials | null;
}
