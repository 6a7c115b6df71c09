// Fused cross-entropy on every available backend (STYLE 18): NanometaRowPick (also as rowNll) and NanometaCrossEntropyGrad vs
// their stock-op references and the cpu loops, and crossEntropyTrain's value and gradients vs the unchunked
// one-hot reference (model/loss.ts), with several chunks and one, its memory and its kernel count.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropyGradLoop, rowPickLoop } from '../../src/kernels/cross-entropy/cpu.js';
import { crossEntropyGrad, rowNll, rowPick } from '../../src/kernels/cross-entropy/index.js';
import { crossEntropyGradReference, rowPickReference } from '../../src/kernels/cross-entropy/reference.js';
import { rowLogSumExp } from '../../src/kernels/logsumexp/index.js';
import { chunkRows, crossEntropyTrain, referenceCrossEntropy } from '../../src/model/loss.js';
import { buildModel } from '../../src/model/gpt.js';
import { validateConfig } from '../../src/config/resolve.js';
import { testBackends } from '../backend/available.js';
import { floats } from './util.js';

function labels(n: number, V: number, seed: number): Int32Array {
  return Int32Array.from(floats(n, seed, 1), (v) => Math.min(V - 1, Math.floor(((v + 1) / 2) * V)));
}

async function expectClose(got: tf.Tensor, want: tf.Tensor, tol = 1e-5): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  const [g, w] = [await got.data(), await want.data()];
  let worst = 0;
  w.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(g[i] - v) / Math.max(1, Math.abs(v)));
  });
  expect(worst).toBeLessThan(tol);
}

describe.each(await testBackends())('fused cross-entropy on $label', ({ init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
  });

  it.skipIf(skip)('NanometaRowPick and NanometaCrossEntropyGrad match the references (V % 4 = 0 and not)', async () => {
    for (const [n, V] of [
      [5, 300],
      [3, 13],
      [1, 4],
    ] as const) {
      const data = floats(n * V, n * V, 8);
      const ids = labels(n, V, n + V);
      if (n > 2) ids[2] = V; // out of range: picks 0 and subtracts nothing, like tf.oneHot
      const x = tf.tensor2d(data, [n, V]);
      const y = tf.tensor1d(ids, 'int32');
      const pick = rowPick(x, y);
      await expectClose(pick, rowPickReference(x, y));
      expect(Array.from(await pick.data())).toEqual(Array.from(rowPickLoop(data, ids, n, V)));
      const lse = rowLogSumExp(x);
      const nll = rowNll(x, y, lse, 0.5); // each row's loss, scaled: (lse - target logit) / 2
      await expectClose(nll, tf.mul(tf.sub(lse, rowPickReference(x, y)), 0.5));
      nll.dispose();
      const grad = crossEntropyGrad(x, lse, y, 0.25);
      await expectClose(grad, crossEntropyGradReference(x, lse, y, 0.25));
      const loop = crossEntropyGradLoop(data, (await lse.data()) as Float32Array, ids, n, V, 0.25);
      await expectClose(grad, tf.tensor2d(loop, [n, V]));
      // Each row of softmax - onehot sums to 0 (to 0.25 where the label was out of range).
      const rows = await tf.sum(grad, 1).data();
      rows.forEach((r, i) => expect(r).toBeCloseTo(ids[i] < V ? 0 : 0.25, 5));
      tf.dispose([x, y, pick, lse, grad]);
    }
  });

  it.skipIf(skip)(
    'crossEntropyTrain matches the one-hot reference in value and gradients, over 4 chunks and one',
    async () => {
      const N = 10,
        C = 6;
      for (const V of [24, 13]) {
        const h = tf.tensor2d(floats(N * C, 7 + V, 2), [N, C]);
        const W = tf.tensor2d(floats(V * C, 9 + V, 2), [V, C]);
        const y = tf.tensor1d(labels(N, V, V), 'int32');
        const times3 = (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar) => (a: tf.Tensor, b: tf.Tensor) =>
          tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), 3);
        const want = tf.valueAndGrads(times3((a, b) => referenceCrossEntropy(a, b, y)))([h, W]);
        for (const chunkBytes of [V * 4 * 3, 1 << 20]) {
          // 3 rows per chunk: 3 + 3 + 3 + 1; then all 10 rows at once
          expect(chunkBytes < 1000 ? chunkRows(V, chunkBytes) === 3 : chunkRows(V, chunkBytes) >= N).toBe(true);
          const plain = crossEntropyTrain(h, W, y, chunkBytes);
          await expectClose(plain, tf.div(want.value, 3));
          const got = tf.valueAndGrads(times3((a, b) => crossEntropyTrain(a, b, y, chunkBytes)))([h, W]);
          await expectClose(got.value, want.value);
          await expectClose(got.grads[0], want.grads[0]); // dh (N, C)
          await expectClose(got.grads[1], want.grads[1]); // dW (V, C)
          tf.dispose([plain, got.value, got.grads]);
        }
        tf.dispose([h, W, y, want.value, want.grads]);
      }
    },
  );

  it.skipIf(skip)('leaves no tensors behind and runs 3 GEMMs per chunk, no softmax', async () => {
    const N = 7,
      C = 4,
      V = 16;
    const h = tf.tensor2d(floats(N * C, 1, 1), [N, C]);
    const W = tf.tensor2d(floats(V * C, 2, 1), [V, C]);
    const y = tf.tensor1d(labels(N, V, 3), 'int32');
    const chunkBytes = V * 4 * 3; // 3 chunks: 3 + 3 + 1 rows
    const grads = () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => crossEntropyTrain(a as tf.Tensor2D, b as tf.Tensor2D, y, chunkBytes))([
        h,
        W,
      ]);
    tf.dispose(grads()); // warm-up: first-use kernel set-up may allocate
    const before = tf.memory().numTensors;
    const g = tf.tidy(grads);
    await g[1].data();
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(before);
    const profile = await tf.profile(() => {
      tf.dispose(grads());
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((k) => k === 'BatchMatMul' || k === '_FusedMatMul')).toHaveLength(3 * 3);
    // Beyond the first chunk, dW accumulates in the GEMM's epilogue on WebGPU (cpu adds it separately: loss.ts).
    if (tf.getBackend() !== 'cpu') expect(names.filter((k) => k === '_FusedMatMul')).toHaveLength(2);
    expect(names).toContain('NanometaCrossEntropyGrad');
    expect(names).toContain('NanometaRowPick');
    expect(names.some((k) => /softmax/i.test(k))).toBe(false);
    tf.dispose([h, W, y]);
  });

  it.skipIf(skip)('GPT.loss with training: true gives the same loss and gradients as the evaluation path', async () => {
    const V = 80; // 1024 B of logits hold 3 rows: B*T = 8 rows run as 3 + 3 + 2
    const cfg = validateConfig({ model: { nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 4, lossChunkBytes: 1024 } });
    expect(chunkRows(V, cfg.model.lossChunkBytes)).toBe(3);
    const model = buildModel(cfg.model, V, 5);
    const x = tf.tensor2d(labels(8, V, 1), [2, 4], 'int32');
    const y = tf.tensor2d(labels(8, V, 2), [2, 4], 'int32');
    const a = tf.variableGrads(() => model.loss(x, y, { training: true }));
    const b = tf.variableGrads(() => model.loss(x, y));
    await expectClose(a.value, b.value);
    for (const name of ['wte.weight', 'h.0.attn.qkv.weight', 'ln_f.weight']) {
      const v = model.params.get(name)!;
      await expectClose(a.grads[v.name], b.grads[v.name]);
    }
    tf.dispose([a.value, a.grads, b.value, b.grads, x, y]);
    model.dispose();
  });
});
