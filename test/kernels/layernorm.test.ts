// Fused LayerNorm vs its stock-op reference on every available backend (STYLE 18): values with and without
// bias, gradients w.r.t. x, weight and bias under a non-trivial upstream gradient, C not a multiple of the
// workgroup, many rows (chunked dweight/dbias sums), a large row mean, that the fused kernels ran, tensor hygiene;
// on WebGPU the raw-pass backward vs the float64 loop, and its dispatch count.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerNormGradLoop, layerNormLoop } from '../../src/kernels/layernorm/cpu.js';
import { layerNorm } from '../../src/kernels/layernorm/index.js';
import { rawChunking } from '../../src/kernels/layernorm/raw.js';
import { GRAD_SHAPES, expectGradKernel, gradDispatches, gradInputs } from './layernorm-grad.js';
import { layerNormReference } from '../../src/kernels/layernorm/reference.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

// C = 7, 64, 300 (not a multiple of the 64-thread workgroup), 600 (256-thread workgroups);
// 4201 rows: more than the 4096 chunks of the WebGPU dweight/dbias partial sums (2 rows each, the last one
// short), and a column sum over more chunks than its workgroup has threads.
const SHAPES: number[][] = [
  [3, 5, 7],
  [4, 64],
  [2, 300],
  [3, 600],
  [4201, 7],
];

interface Case {
  shape: number[];
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  up: Float32Array;
}

function makeCase(shape: number[], seed: number, offset = 0): Case {
  const C = shape[shape.length - 1];
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    shape,
    x: floats(n, seed, 2, offset),
    w: floats(C, seed + 1, 1, 1),
    b: floats(C, seed + 2, 0.5),
    up: floats(n, seed + 3, 3),
  };
}

/** d/d(x, weight, bias?) of sum(up * ln(x, weight, bias)): the upstream gradient is `up`. */
function grads(ln: typeof layerNorm, c: Case, withBias: boolean): tf.Tensor[] {
  const C = c.w.length;
  const x = tf.tensor(c.x, c.shape);
  const w = tf.tensor1d(c.w);
  const b = tf.tensor1d(c.b);
  const up = tf.tensor(c.up, c.shape);
  if (withBias) {
    return tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(ln(xx, ww, bb), up)))([x, w, b]);
  }
  expect(w.shape).toEqual([C]);
  return tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(ln(xx, ww), up)))([x, w]);
}

describe.each(await testBackends())('layerNorm on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('matches the stock-op reference and the float64 loop, with and without bias', async () => {
    for (const [i, shape] of SHAPES.entries()) {
      const c = makeCase(shape, 10 * i);
      const C = c.w.length;
      for (const withBias of [true, false]) {
        const [x, w, b] = [tf.tensor(c.x, shape), tf.tensor1d(c.w), withBias ? tf.tensor1d(c.b) : undefined];
        const y = layerNorm(x, w, b);
        expect(y.shape).toEqual(shape);
        const got = await y.data();
        expectClose(got, await layerNormReference(x, w, b).data());
        expectClose(got, layerNormLoop(c.x, c.w, withBias ? c.b : undefined, c.x.length / C, C, 1e-5));
      }
    }
  });

  it.skipIf(skip)('is accurate for rows with a large mean (two-pass variance) and honours eps', async () => {
    const c = makeCase([4, 300], 7, 1000);
    const y = await layerNorm(tf.tensor(c.x, c.shape), tf.tensor1d(c.w), tf.tensor1d(c.b)).data();
    expectClose(y, layerNormLoop(c.x, c.w, c.b, 4, 300, 1e-5), 1e-3);
    // A constant row normalises to exactly bias; with eps = 1 a row of +-1 (var 1) scales by 1/sqrt(2).
    const flat = await layerNorm(tf.fill([1, 5], 3.5), tf.ones([5]), tf.tensor1d([1, 2, 3, 4, 5])).data();
    expect(Array.from(flat)).toEqual([1, 2, 3, 4, 5]);
    const unit = await layerNorm(tf.tensor2d([[1, -1, 1, -1]]), tf.ones([4]), undefined, 1).data();
    expectClose(
      unit,
      [1, -1, 1, -1].map((v) => v / Math.SQRT2),
      1e-6,
    );
  });

  it.skipIf(skip)('has the gradients of the reference w.r.t. x, weight and bias', async () => {
    for (const [i, shape] of SHAPES.entries()) {
      const c = makeCase(shape, 100 + 10 * i);
      const C = c.w.length;
      const loop = layerNormGradLoop(c.x, c.w, c.up, c.x.length / C, C, 1e-5);
      for (const withBias of [true, false]) {
        const got = grads(layerNorm, c, withBias);
        const want = grads(layerNormReference, c, withBias);
        expect(got.length).toBe(withBias ? 3 : 2);
        expect(got.map((g) => g.shape)).toEqual(want.map((g) => g.shape));
        for (let j = 0; j < got.length; j++) expectClose(await got[j].data(), await want[j].data());
        expectClose(await got[0].data(), loop.dx);
        expectClose(await got[1].data(), loop.dweight);
        if (withBias) expectClose(await got[2].data(), loop.dbias);
      }
    }
  });

  it.skipIf(skip)('runs the fused kernels forward and backward, not the stock ops', async () => {
    const c = makeCase([2, 3, 64], 5);
    const [x, w, b] = [tf.tensor(c.x, c.shape), tf.tensor1d(c.w), tf.tensor1d(c.b)];
    const forward = (await tf.profile(() => layerNorm(x, w, b))).kernels.map((k) => k.name);
    expect(forward).toContain('NanometaLayerNorm');
    expect(forward).not.toContain('Rsqrt');
    const backward = await tf.profile(() =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(layerNorm(xx, ww, bb)))([x, w, b]),
    );
    const names = backward.kernels.map((k) => k.name);
    expect(names).toContain('NanometaLayerNormGrad');
    expect(names).not.toContain('Rsqrt');
  });

  it.skipIf(skip)('a tidy gradient call leaves tf.memory().numTensors unchanged', async () => {
    const c = makeCase([4201, 7], 9);
    const [x, w, b, up] = [tf.tensor(c.x, c.shape), tf.tensor1d(c.w), tf.tensor1d(c.b), tf.tensor(c.up, c.shape)];
    const f = () =>
      tf.tidy(() =>
        tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, ww, bb), up)))([x, w, b]),
      );
    f().forEach((g) => g.dispose()); // warm-up: first calls may create lasting tensors outside our control
    const before = tf.memory().numTensors;
    const g = f();
    expect(tf.memory().numTensors).toBe(before + 3);
    g.forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

describe(`NanometaLayerNormGrad on ${webgpu.label}`, () => {
  beforeAll(async () => {
    if (!webgpu.skip) await webgpu.init();
  });

  it('splits rows into at most 1024 chunks, the last one short', () => {
    expect(rawChunking(37)).toEqual({ rowsPerChunk: 1, chunks: 37 });
    expect(rawChunking(1031)).toEqual({ rowsPerChunk: 2, chunks: 516 });
    expect(rawChunking(2100)).toEqual({ rowsPerChunk: 3, chunks: 700 });
    expect(rawChunking(4096)).toEqual({ rowsPerChunk: 4, chunks: 1024 });
  });

  it.skipIf(webgpu.skip)('dx (+ dres), dweight and dbias match the float64 loop', async () => {
    for (const [i, [N, C]] of GRAD_SHAPES.entries()) await expectGradKernel(N, C, 100 * i + 1);
  });

  it.skipIf(webgpu.skip)('2 dispatches per backward; numTensors unchanged', async () => {
    const inputs = gradInputs(1031, 48);
    const dispatches = (withBias: boolean) => gradDispatches(inputs, withBias);
    expect(await dispatches(true)).toBe(2);
    expect(await dispatches(false)).toBe(2);
    tf.dispose(Object.values(inputs));
  });
});
