// Names and attributes of gradient clipping's kernels (optim/clip.ts): the global norm √(Σ g²) over all
// gradients, and the scale min(1, maxNorm / (norm + 1e-6)) of torch.nn.utils.clip_grad_norm_.
export const SUM_SQUARES_INTO_KERNEL = 'NanometaSumSquaresInto';
export const CLIP_NORM_KERNEL = 'NanometaClipNorm';

/** Inputs x0..x6 and `partials`, written from partOffset on (one partial per 4096 elements of each x). */
export interface SumSquaresIntoAttrs {
  partOffset: number;
}

/** maxNorm 0: output the norm √(Σ partials); > 0: the clipping scale. */
export interface ClipNormAttrs {
  maxNorm: number;
}
