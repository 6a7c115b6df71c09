// The evaluation point of optimizers that train at one point and evaluate at another (Schedule-Free's x,
// DoG's average; Optimizer.evalPoint): evaluation runs there. The checkpoint side (model.safetensors holds the
// evaluation point, the training point is saved beside the optimizer state) is checkpoint/eval-point.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer, ParamMap } from '../optim/types.js';

/**
 * Runs `fn` with the parameters set to the optimizer's evaluation point, then puts the exact training values
 * back (copies, not the inverse interpolation, which float32 would not undo exactly).
 */
export async function atEvalPoint<T>(params: ParamMap, optimizer: Optimizer, fn: () => Promise<T>): Promise<T> {
  const point = optimizer.evalPoint?.(params) ?? null;
  if (!point) return fn();
  const saved = new Map([...params].map(([name, v]) => [name, tf.clone(v)]));
  try {
    for (const [name, v] of params) v.assign(point.get(name)!);
    tf.dispose([...point.values()]);
    return await fn();
  } finally {
    for (const [name, v] of params) v.assign(saved.get(name)!);
    tf.dispose([...saved.values()]);
  }
}
