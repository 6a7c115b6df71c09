// Gradient clipping's kernels (kernels/clip-norm) on cpu and the software WebGPU adapter: Σ x² partials of
// nine tensors (two raw passes on WebGPU, ragged chunks), the norm and the scale against float64 math, and
// the scale used as the optimizer's gradient scale.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipNormFromPartials, sumSquaresPartials } from '../../src/kernels/clip-norm/index.js';
import { clipNormReference } from '../../src/kernels/clip-norm/reference.js';
import { optimStep } from '../../src/kernels/optim-step/index.js';
import { kernelAttrs, resolveBaseSpec } from '../../src/optim/base-spec.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { testBackends } from '../backend/available.js';

const backends = await testBackends();
const SHAPES = [[70, 90], [5], [4096], [4097], [3, 3], [9000], [1], [64, 65], [300]];

describe.each(backends)('clip norm: $label', (backend) => {
  it.skipIf(!!backend.skip)('norm and scale of nine tensors equal float64 math; numTensors unchanged', async () => {
    await backend.init();
    const xs = SHAPES.map((s, i) => tf.randomNormal(s, 0, 0.3, 'float32', i + 1));
    let total = 0;
    for (const x of xs) for (const v of await x.data()) total += v * v;
    const before = tf.memory().numTensors;
    const partials = sumSquaresPartials(xs);
    const [norm, scale, loose] = [
      clipNormFromPartials(partials, 0),
      clipNormFromPartials(partials, 1),
      clipNormFromPartials(partials, 1e6),
    ];
    const [refNorm, refScale] = [clipNormReference(partials, 0), clipNormReference(partials, 1)];
    partials.dispose();
    expect(norm.shape).toEqual([]);
    expect((await norm.data())[0]).toBeCloseTo((await refNorm.data())[0], 4);
    expect((await scale.data())[0]).toBeCloseTo((await refScale.data())[0], 6);
    tf.dispose([refNorm, refScale]);
    expect((await norm.data())[0]).toBeCloseTo(Math.sqrt(total), 3);
    expect((await scale.data())[0] / (1 / (Math.sqrt(total) + 1e-6))).toBeCloseTo(1, 5);
    expect((await loose.data())[0]).toBe(1);
    tf.dispose([norm, scale, loose]);
    expect(tf.memory().numTensors).toBe(before);
    // the scale as an optimizer's gs: the step equals one on pre-scaled gradients
    const clip = clipGradNorm(new Map(xs.map((x, i) => [`p${i}`, x])), 1);
    const spec = resolveBaseSpec({ type: 'sgd', weightDecay: 0 });
    const w = tf.zeros([70, 90]);
    const scaled = optimStep({ w, g: xs[0], gs: clip.scale! }, kernelAttrs(spec, 1, 0, 1, null));
    const pre = optimStep({ w, g: tf.mul(xs[0], (await clip.scale!.data())[0]) }, kernelAttrs(spec, 1, 0, 1, null));
    const [a, b] = [await scaled.w.data(), await pre.w.data()];
    for (let i = 0; i < a.length; i += 97) expect(a[i]).toBeCloseTo(b[i], 6);
    tf.dispose([w, scaled.w, pre.w, clip.norm, clip.scale!, ...xs]);
  });
});
