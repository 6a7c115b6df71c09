// Fused causal self-attention vs the stock-op reference (STYLE 18) on every available backend: values and dqkv
// for head sizes 16 and 48, T below, across and past the 64-row blocks and the key/query tiles, causality,
// that the fused kernels ran (one forward, one backward), that no tensor leaks, and that a GPT's loss and
// gradients are the same on the fused and the matmul attention paths (model/attention.ts).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalAttentionGradLoop, causalAttentionLoop } from '../../src/kernels/attention/cpu.js';
import { causalAttention } from '../../src/kernels/attention/index.js';
import { causalAttentionReference } from '../../src/kernels/attention/reference.js';
import { attention } from '../../src/model/attention.js';
import { setFlag } from '../../src/flags.js';
import { buildModel } from '../../src/model/gpt.js';
import { validateConfig } from '../../src/config/resolve.js';
import { testBackends } from '../backend/available.js';
import { expectClose, floats } from './util.js';

/** Loss sum(attention(qkv) * w): every output entry gets its own upstream gradient. */
function weightedLoss(f: typeof causalAttention, w: tf.Tensor, nHead: number) {
  return (qkv: tf.Tensor) => tf.sum(tf.mul(f(qkv as tf.Tensor3D, nHead), w));
}

// [B, T, H, hs]: T = 1; T = 5 (inside one tile); T = 37 (past a 32-row key tile, not a multiple of it);
// T = 70 (two 64-row blocks, the second short); hs 16 and 48 (tinystories-15m) read as vec4, hs 6 as scalars; H 2 and 3.
const CASES: [number, number, number, number][] = [
  [1, 1, 2, 16],
  [2, 5, 3, 16],
  [2, 37, 2, 48],
  [2, 70, 3, 16],
  [1, 70, 2, 48],
  [2, 37, 3, 6],
];

function makeCase([B, T, H, hs]: [number, number, number, number], seed: number) {
  const C = H * hs;
  const qkv = floats(B * T * 3 * C, seed, 1.5); // scores up to ~hs * 2 / sqrt(hs): peaked softmax rows
  const w = floats(B * T * C, seed + 1, 1);
  return { shape: [B, T, 3 * C], qkv, w, dims: { B, T, H, hs } };
}

describe.each(await testBackends())('causalAttention on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('matches the stock-op reference and the float64 loop', async () => {
    for (const [n, shape] of CASES.entries()) {
      const c = makeCase(shape, 10 + n);
      const qkv = tf.tensor3d(c.qkv, c.shape as [number, number, number]);
      const y = causalAttention(qkv, c.dims.H);
      expect(y.shape).toEqual([c.dims.B, c.dims.T, c.dims.H * c.dims.hs]);
      const got = await y.data();
      expectClose(got, await causalAttentionReference(qkv, c.dims.H).data(), 2e-5);
      expectClose(got, causalAttentionLoop(c.qkv, c.dims), 2e-5);
      tf.dispose([qkv, y]);
    }
  });

  it.skipIf(skip)('has the reference gradient dqkv', async () => {
    for (const [n, shape] of CASES.entries()) {
      const c = makeCase(shape, 50 + n);
      const qkv = tf.tensor3d(c.qkv, c.shape as [number, number, number]);
      const w = tf.tensor(c.w, [c.dims.B, c.dims.T, c.dims.H * c.dims.hs]);
      const dqkv = tf.grad(weightedLoss(causalAttention, w, c.dims.H))(qkv);
      expect(dqkv.shape).toEqual(c.shape);
      const got = await dqkv.data();
      expectClose(
        got,
        await tf
          .grad(weightedLoss(causalAttentionReference, w, c.dims.H))(qkv)
          .data(),
        1e-4,
      );
      expectClose(got, causalAttentionGradLoop(c.qkv, c.w, c.dims), 1e-4);
      const C = c.dims.H * c.dims.hs;
      // q, k and v parts are all non-trivial (not vacuously zero); with T = 1 each softmax has one key, so
      // dq = dk = 0 exactly and only dv remains.
      for (const part of [0, 1, 2]) {
        let max = 0;
        for (let r = 0; r < c.dims.B * c.dims.T; r++)
          for (let e = 0; e < C; e++) max = Math.max(max, Math.abs(got[r * 3 * C + part * C + e]));
        if (c.dims.T > 1 || part === 2) expect(max).toBeGreaterThan(1e-3);
      }
      tf.dispose([qkv, w, dqkv]);
    }
  });

  it.skipIf(skip)('matches the float64 loops for long rows (T = 1030) and wide heads (hs = 128)', async () => {
    for (const [n, shape] of (
      [
        [1, 1030, 1, 16],
        [1, 40, 2, 128],
      ] as const
    ).entries()) {
      const c = makeCase([...shape], 90 + n);
      const qkv = tf.tensor3d(c.qkv, c.shape as [number, number, number]);
      const w = tf.tensor(c.w, [c.dims.B, c.dims.T, c.dims.H * c.dims.hs]);
      expectClose(await causalAttention(qkv, c.dims.H).data(), causalAttentionLoop(c.qkv, c.dims), 2e-5);
      expectClose(
        await tf
          .grad(weightedLoss(causalAttention, w, c.dims.H))(qkv)
          .data(),
        causalAttentionGradLoop(c.qkv, c.w, c.dims),
        1e-4,
      );
      tf.dispose([qkv, w]);
    }
  });

  it.skipIf(skip)('covers every block when blocks pass the 65535 workgroups-per-dimension limit', async () => {
    // 33000 * 2 heads * 1 block = 66000 workgroups: tfjs folds the dispatch into x and y. The forward only (the
    // gradient programs share its prologue, which maps workgroups to blocks): on the software adapter each
    // such dispatch takes seconds.
    const c = makeCase([33000, 2, 2, 4], 5);
    const qkv = tf.tensor3d(c.qkv, c.shape as [number, number, number]);
    expectClose(await causalAttention(qkv, 2).data(), causalAttentionLoop(c.qkv, c.dims), 2e-5);
    qkv.dispose();
  });

  it.skipIf(skip)('is causal: later tokens change neither earlier outputs nor earlier gradients', async () => {
    const c = makeCase([1, 40, 2, 16], 7);
    const changed = c.qkv.slice();
    const C3 = 3 * 2 * 16;
    for (let e = 0; e < C3; e++) changed[30 * C3 + e] += 0.5; // token 30's q, k and v
    const a = await causalAttention(tf.tensor3d(c.qkv, [1, 40, C3]), 2).data();
    const b = await causalAttention(tf.tensor3d(changed, [1, 40, C3]), 2).data();
    const C = C3 / 3;
    expect(Array.from(b.slice(0, 30 * C))).toEqual(Array.from(a.slice(0, 30 * C)));
    expect(b[30 * C]).not.toBe(a[30 * C]);
  });

  it.skipIf(skip)('runs one fused kernel each way and leaks no tensors', async () => {
    const c = makeCase([2, 9, 2, 16], 3);
    const qkv = tf.tensor3d(c.qkv, c.shape as [number, number, number]);
    const w = tf.tensor(c.w, [2, 9, 32]);
    const forward = await tf.profile(() => causalAttention(qkv, 2));
    expect(forward.kernels.map((k) => k.name).filter((name) => name !== '')).toEqual(['NanometaCausalAttention']); // '': customGrad's scope
    (forward.result as tf.Tensor).dispose();
    const backward = await tf.profile(() => tf.grad(weightedLoss(causalAttention, w, 2))(qkv));
    const names = backward.kernels.map((k) => k.name);
    expect(names).toContain('NanometaCausalAttentionGrad');
    expect(names).not.toContain('BatchMatMul');
    expect(names).not.toContain('Transpose');
    (backward.result as tf.Tensor).dispose();

    const step = () => tf.tidy(() => tf.grad(weightedLoss(causalAttention, w, 2))(qkv));
    step().dispose(); // warm-up
    const before = tf.memory().numTensors;
    const g = step();
    await g.data();
    expect(tf.memory().numTensors).toBe(before + 1);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([qkv, w]);
  });
});

/** Loss and every parameter gradient of a 2-layer, 3-head (hs 16) GPT on one batch, on the given attention path. */
async function modelLossAndGrads(path: 'fused' | 'matmul') {
  setFlag('attention', path);
  try {
    const cfg = validateConfig({ model: { nLayer: 2, nHead: 3, nEmbd: 48, blockSize: 24, dropout: 0 } });
    const model = buildModel(cfg.model, 40, 5);
    const ids = (seed: number) =>
      tf.tensor2d(
        Array.from(floats(2 * 21, seed, 1), (v) => Math.floor((v + 1) * 20) % 40),
        [2, 21],
        'int32',
      );
    const [x, y] = [ids(1), ids(2)];
    const profile = await tf.profile(() => tf.variableGrads(() => model.loss(x, y)));
    const { value, grads } = profile.result as { value: tf.Scalar; grads: tf.NamedTensorMap };
    const out = {
      loss: (await value.data())[0],
      grads: new Map<string, Float32Array>(),
      kernels: profile.kernels.map((k) => k.name),
    };
    for (const [name, v] of model.params) out.grads.set(name, (await grads[v.name].data()) as Float32Array);
    tf.dispose([x, y, value, ...Object.values(grads)]);
    model.dispose();
    return out;
  } finally {
    setFlag('attention', null);
  }
}

describe.each(await testBackends())('GPT attention paths on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('gives the same loss and gradients with fused and matmul attention', async () => {
    const fused = await modelLossAndGrads('fused');
    const matmul = await modelLossAndGrads('matmul');
    expect(fused.kernels).toContain('NanometaCausalAttention');
    expect(fused.kernels).toContain('NanometaCausalAttentionGrad');
    expect(fused.kernels).not.toContain('NanometaCausalSoftmax');
    expect(matmul.kernels).toContain('NanometaCausalSoftmax');
    expect(matmul.kernels).not.toContain('NanometaCausalAttention');
    expect(Math.abs(fused.loss - matmul.loss)).toBeLessThan(1e-5);
    expect(fused.grads.size).toBe(matmul.grads.size);
    for (const [name, g] of matmul.grads) expectClose(fused.grads.get(name)!, g, 2e-4);
    expect(Math.max(...Array.from(fused.grads.get('h.0.attn.qkv.weight')!, Math.abs))).toBeGreaterThan(1e-4);
  });

  it.skipIf(skip)('keeps the matmul path (and its attention dropout) while attention dropout is on', async () => {
    const x = tf.tensor2d(floats(2 * 6 * 16, 3, 1), [2 * 6, 16]); // (B*T, C)
    const w = {
      qkvWeight: tf.tensor2d(floats(48 * 16, 4, 0.3), [48, 16]),
      projWeight: tf.tensor2d(floats(16 * 16, 5, 0.3), [16, 16]),
    };
    const kernels = async (rate: number, seed?: number) =>
      (await tf.profile(() => attention(x, 2, 6, w, 2, rate, seed))).kernels.map((k) => k.name);
    expect(await kernels(0.1, 7)).not.toContain('NanometaCausalAttention');
    expect(await kernels(0.1)).toContain('NanometaCausalAttention'); // no seed: not training, no dropout
    expect(await kernels(0, 7)).toContain('NanometaCausalAttention');
    // The block's residual: r + dropout(proj(y)) (the same seed, the same mask), in the projection's epilogue
    // (no Add) while dropout is off.
    const r = tf.tensor2d(floats(2 * 6 * 16, 6, 1), [2 * 6, 16]);
    for (const [rate, seed] of [
      [0.1, 7],
      [0, 7],
      [0.1, undefined],
    ] as const) {
      const [withResidual, without] = [attention(x, 2, 6, w, 2, rate, seed, r), attention(x, 2, 6, w, 2, rate, seed)];
      const want = tf.add(r, without);
      expectClose(await withResidual.data(), await want.data(), 1e-5);
      tf.dispose([withResidual, without, want]);
      const ran = (await tf.profile(() => attention(x, 2, 6, w, 2, rate, seed, r))).kernels.map((k) => k.name);
      expect(ran.includes('Add')).toBe(rate > 0 && seed !== undefined);
    }
    tf.dispose([x, r, w.qkvWeight, w.projWeight]);
  });
});
