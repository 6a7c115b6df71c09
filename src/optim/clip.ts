// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (nanoGPT's grad_clip): scale every
// gradient by min(1, maxNorm / (norm + 1e-6)) where norm is the L2 norm over all gradients together.
import * as tf from '@tensorflow/tfjs-core';
import type { GradMap } from './types.js';

export interface ClipResult {
  /** The gradients to use: the input tensors when no scaling was needed, else new scaled ones. */
  grads: GradMap;
  /** Global L2 norm before clipping (NaN/Infinity are reported, and then nothing is scaled). */
  norm: number;
}

/**
 * Takes ownership of `grads`: a tensor it replaces with a scaled copy is disposed, so the caller disposes
 * only the returned map's tensors. maxNorm = 0 turns clipping off (the norm is still measured).
 */
export async function clipGradNorm(grads: GradMap, maxNorm: number): Promise<ClipResult> {
  if (grads.size === 0) return { grads, norm: 0 };
  const norm = tf.tidy(() => {
    const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    // pairwise adds, not tf.addN: WebGPU binds at most 8 storage buffers per shader (AddN of 29 inputs fails)
    return tf.sqrt(squares.reduce((acc, x) => tf.add(acc, x)));
  });
  const value = (await norm.data())[0]; // asynchronous: WebGPU in Node cannot read synchronously
  norm.dispose();
  const coef = maxNorm / (value + 1e-6);
  if (maxNorm <= 0 || !Number.isFinite(value) || coef >= 1) return { grads, norm: value };
  const clipped: GradMap = new Map();
  const scale = tf.scalar(coef);
  for (const [name, g] of grads) {
    clipped.set(name, tf.mul(g, scale));
    g.dispose();
  }
  scale.dispose();
  return { grads: clipped, norm: value };
}
