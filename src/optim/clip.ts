// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (nanoGPT's grad_clip): every gradient is
// scaled by min(1, maxNorm / (norm + 1e-6)), norm the L2 norm over all gradients together. Nothing is read
// back to the host: the norm and the scale stay on the device, and the optimizer's fused kernel applies the
// scale as it reads g (kernels/optim-step, input `gs`), so clipping costs no sync and no extra pass.
import * as tf from '@tensorflow/tfjs-core';
import { traceDotPartials } from '../kernels/optim-step/index.js';
import type { GradMap } from './types.js';

export interface GradClip {
  /** Global L2 norm of the gradients before clipping (a scalar on the device; read it only when logging). */
  norm: tf.Scalar;
  /** min(1, maxNorm/(norm + 1e-6)) for the optimizer to apply to every gradient; null when clipping is off (maxNorm 0). */
  scale: tf.Scalar | null;
}

/** The caller disposes `norm` and `scale`; `grads` are neither changed nor taken over. */
export function clipGradNorm(grads: GradMap, maxNorm: number): GradClip {
  const out = tf.tidy(() => {
    // Σ g² of every gradient as partial sums, three tensors per kernel call (NanometaTraceDot with h = g)
    const total = grads.size === 0 ? tf.scalar(0) : tf.sum(traceDotPartials([...grads.values()].map((g) => [g, g])).partials);
    const norm = tf.sqrt(total) as tf.Scalar;
    return maxNorm > 0 ? { norm, scale: tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) as tf.Scalar } : { norm };
  }) as { norm: tf.Scalar; scale?: tf.Scalar };
  return { norm: out.norm, scale: out.scale ?? null };
}
