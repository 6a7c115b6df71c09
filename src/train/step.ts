// One optimizer step's gradient: the loss and gradients of every micro-batch (tf.variableGrads inside
// tidy), averaged over gradient accumulation, and the global-norm clipping scale (optim/clip.ts), all on the device.
import * as tf from '@tensorflow/tfjs-core';
import type { GPT } from '../model/gpt.js';
import type { Batch } from '../data/batches.js';
import type { GradMap } from '../optim/types.js';
import { clipGradNorm } from '../optim/clip.js';

export interface StepGradients {
  /** Mean loss over the micro-batches, still on the device (the caller reads it when it logs). */
  loss: tf.Scalar;
  grads: GradMap;
  /** Global gradient norm before clipping, on the device (read it when logging; the caller disposes it). */
  gradNorm: tf.Scalar;
  /** Clipping's scale for optimizer.step (null: clipping off); on the device; the caller disposes it. */
  gradScale: tf.Scalar | null;
}

/** Forward + backward over `batches` (one per micro-step); the caller disposes loss and grads. */
export async function trainStep(
  model: GPT,
  batches: Batch[],
  gradClip: number,
  dropoutSeed: (micro: number) => number | undefined,
): Promise<StepGradients> {
  const vars = [...model.params.values()];
  let sum: GradMap | null = null;
  let lossSum: tf.Scalar | null = null;
  batches.forEach((batch, micro) => {
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor2d(batch.x, batch.shape, 'int32'); // (B, T)
      const y = tf.tensor2d(batch.y, batch.shape, 'int32'); // (B, T)
      return tf.variableGrads(() => model.loss(x, y, { dropoutSeed: dropoutSeed(micro), training: true }), vars);
    });
    lossSum = accumulate(lossSum, value) as tf.Scalar;
    const next: GradMap = new Map();
    for (const [name, v] of model.params) next.set(name, accumulate(sum?.get(name) ?? null, grads[v.name]));
    sum = next;
  });
  const scale = 1 / batches.length;
  const mean = (t: tf.Tensor) => {
    if (scale === 1) return t;
    const out = tf.mul(t, scale);
    t.dispose();
    return out;
  };
  const grads: GradMap = new Map([...sum!].map(([name, g]) => [name, mean(g)]));
  const clip = clipGradNorm(grads, gradClip);
  return { loss: mean(lossSum!) as tf.Scalar, grads, gradNorm: clip.norm, gradScale: clip.scale };
}

/** prev + next, disposing both inputs (prev may be null). */
function accumulate(prev: tf.Tensor | null, next: tf.Tensor): tf.Tensor {
  if (!prev) return next;
  const out = tf.add(prev, next);
  prev.dispose();
  next.dispose();
  return out;
}
