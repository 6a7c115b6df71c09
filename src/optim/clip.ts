// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (nanoGPT's grad_clip): every gradient is
// scaled by min(1, maxNorm / (norm + 1e-6)), norm the L2 norm over all gradients together. Nothing is read
// back to the host: the norm and the scale stay on the device (kernels/clip-norm), and the optimizer's fused
// kernel applies the scale as it reads g (kernels/optim-step, input `gs`), so clipping costs no sync.
import * as tf from '@tensorflow/tfjs-core';
import { clipNormFromPartials, sumSquaresPartials } from '../kernels/clip-norm/index.js';
import type { GradMap } from './types.js';

export interface GradClip {
  /** Global L2 norm of the gradients before clipping (a scalar on the device; read it only when logging). */
  norm: tf.Scalar;
  /** min(1, maxNorm/(norm + 1e-6)) for the optimizer to apply to every gradient; null when clipping is off (maxNorm 0). */
  scale: tf.Scalar | null;
}

/** The caller disposes `norm` and `scale`; `grads` are neither changed nor taken over. */
export function clipGradNorm(grads: GradMap, maxNorm: number): GradClip {
  // Σ g² of every gradient as partial sums (WebGPU: seven gradients per dispatch), then one kernel each for
  // the norm and the scale
  const partials = grads.size === 0 ? (tf.zeros([1]) as tf.Tensor1D) : sumSquaresPartials([...grads.values()]);
  const norm = clipNormFromPartials(partials, 0);
  const scale = maxNorm > 0 ? clipNormFromPartials(partials, maxNorm) : null;
  partials.dispose();
  return { norm, scale };
}
