// Gradient clipping's kernels (optim/clip.ts): Σ g² partial sums of every gradient and the norm or clipping
// scale from them, all on the device. WebGPU: seven gradients per raw pass into one shared partials tensor
// (program.ts); elsewhere: NanometaTraceDot's partials (kernels/optim-step). The norm kernel runs on cpu and
// WebGPU; reference.ts (stock ops) on other backends.
import * as tf from '@tensorflow/tfjs-core';
import { traceDotPartials } from '../optim-step/index.js';
import { newPartials, partialCount } from '../program-base.js';
import { SUM_SQUARES_TENSORS } from './program.js';
import { clipNormReference } from './reference.js';

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

/** Σ x² of all `xs` as one 1-D tensor of partial sums (the caller disposes it). */
export function sumSquaresPartials(xs: tf.Tensor[]): tf.Tensor1D {
  if (!tf.getKernel(SUM_SQUARES_INTO_KERNEL, tf.getBackend())) return traceDotPartials(xs.map((x) => [x, x])).partials;
  const parts = xs.map((x) => partialCount(x.size));
  const partials = newPartials(parts.reduce((a, b) => a + b, 0));
  let partOffset = 0;
  for (let i = 0; i < xs.length; i += SUM_SQUARES_TENSORS) {
    const group = xs.slice(i, i + SUM_SQUARES_TENSORS);
    const named: tf.NamedTensorMap = { partials };
    group.forEach((x, p) => (named[`x${p}`] = x));
    tf.engine().runKernel(SUM_SQUARES_INTO_KERNEL, named, { partOffset });
    partOffset += parts.slice(i, i + SUM_SQUARES_TENSORS).reduce((a, b) => a + b, 0);
  }
  return partials;
}

/** √(Σ partials) with maxNorm 0; else the clipping scale min(1, maxNorm / (norm + 1e-6)). A scalar. */
export function clipNormFromPartials(partials: tf.Tensor1D, maxNorm: number): tf.Scalar {
  if (!tf.getKernel(CLIP_NORM_KERNEL, tf.getBackend())) return clipNormReference(partials, maxNorm);
  return tf.engine().runKernel(CLIP_NORM_KERNEL, { partials }, { maxNorm }) as tf.Scalar;
}
