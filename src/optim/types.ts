// The one optimizer interface (STYLE 15): explicit state for named parameters, `step(params, grads, lr)`,
// state saved under predictable names (`<param>/m`). MetaOptimize wraps a base optimizer through it.
import type * as tf from '@tensorflow/tfjs-core';

/** Parameters by stable name (e.g. `h.3.attn.qkv.weight`), in the model's parameter-table order. */
export type ParamMap = Map<string, tf.Variable>;
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
