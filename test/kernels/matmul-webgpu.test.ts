// nanometa's WebGPU BatchMatMul (kernels/matmul/program.ts) against float64 host products and the cpu backend,
// on the Mesa software adapter: every transpose combination and tile size, edges that are not multiples of the
// tile or of BK, split-K, batched and shared batch dimensions, the epilogues and GELU on load (kernels/linear's),
// the planner, and gradients. bench/matmul's variants are tested in test/bench/matmul.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  GEMM_TILES,
  GemmProgram,
  planGemm,
  tileGeometry,
  type GemmAddend,
  type GemmGelu,
} from '../../src/kernels/matmul/program.js';
import {
  gemmShape,
  originalWebGPUMatMul,
  runGemm,
  setGemmSplit,
  setGemmTile,
} from '../../src/kernels/matmul/webgpu.js';
import { testBackends } from '../backend/available.js';
import { floats, gemmEpilogueCase, hostMatMul, worstRelError } from './util.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

describe.skipIf(webgpu.skip)('WebGPU BatchMatMul (tiled SGEMM) on the software adapter', () => {
  beforeAll(async () => {
    await webgpu.init();
  });
  afterEach(() => {
    // the automatic plan again, even after a failure
    setGemmTile(null);
    setGemmSplit(null);
  });

  it('replaced tfjs kernel and matches float64 for every transpose, every tile, ragged edges, split-K', async () => {
    expect(originalWebGPUMatMul()).not.toBeNull();
    // [batch, M, N, K]; K = 150 gives every split several BK-tiles and a ragged last one.
    const cases: Array<[number, number, number, number]> = [
      [1, 5, 7, 3],
      [1, 130, 67, 33],
      [3, 17, 129, 20],
      [2, 64, 64, 16],
      [1, 40, 36, 150],
      [1, 132, 100, 72],
      [3, 20, 36, 40],
      [1, 70, 67, 1200],
    ];
    const configs = [
      ['64x64', null],
      ['128x128', null],
      ['64x64', 3],
      ['128x128', 2],
    ] as const;
    for (const [tile, split] of configs) {
      setGemmTile(tile);
      setGemmSplit(split);
      for (const [batch, M, N, K] of cases) {
        for (const tA of [false, true])
          for (const tB of [false, true]) {
            const aShape = batch === 1 ? (tA ? [K, M] : [M, K]) : tA ? [batch, K, M] : [batch, M, K];
            const bShape = batch === 1 ? (tB ? [N, K] : [K, N]) : tB ? [batch, N, K] : [batch, K, N];
            const av = floats(
              aShape.reduce((p, d) => p * d, 1),
              M + K + (tA ? 7 : 0),
            );
            const bv = floats(
              bShape.reduce((p, d) => p * d, 1),
              N + K + (tB ? 5 : 0),
            );
            const got = await tf.tidy(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB)).data();
            const want = hostMatMul(av, aShape, bv, bShape, tA, tB);
            expect(got.length).toBe(want.length);
            let worst = 0;
            want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w) / (1 + Math.abs(w)))));
            expect(
              worst,
              `tile ${tile} split ${split} batch ${batch} M ${M} N ${N} K ${K} tA ${tA} tB ${tB}`,
            ).toBeLessThan(1e-5 * Math.sqrt(K / 16));
          }
      }
    }
  });

  it('runs the epilogues (full, row, both, geluGrad) and GELU on load in both tiles, with and without split-K', async () => {
    // [addend, gelu, transA, transB, split]: linear's forward (x·Wᵀ + bias + residual, gelu(u)·Wᵀ), its backward
    // (du = dy·W ⊙ gelu'(u), dW = dyᵀ·gelu(u)), an accumulation through the split-K reduction.
    const cases: Array<[GemmAddend, GemmGelu, boolean, boolean, number | null]> = [
      ['both', 'A', false, true, null],
      ['row', 'none', false, true, 2],
      ['geluGrad', 'none', false, false, null],
      ['none', 'B', true, false, 3],
      ['full', 'A', true, true, 2],
    ];
    const backend = tf.backend() as WebGPUBackend;
    for (const tile of GEMM_TILES) {
      setGemmTile(tile);
      const [M, N, K] = [70, 67, 50]; // ragged against the tiles and BK
      for (const [addend, geluOn, tA, tB, split] of cases) {
        setGemmSplit(split);
        const { a, b, addends, want } = gemmEpilogueCase([M, N, K], addend, geluOn, tA, tB);
        const out = tf
          .engine()
          .makeTensorFromTensorInfo(
            runGemm(backend, a, b, gemmShape(a, b, tA, tB)!.shape, tA, tB, addend, addends, geluOn),
          );
        const got = await out.data();
        tf.dispose([a, b, out, ...addends]);
        expect(
          worstRelError(got, want),
          `tile ${tile} ${addend} gelu ${geluOn} tA ${tA} tB ${tB} split ${split}`,
        ).toBeLessThan(1e-5);
      }
    }
  });

  it('plans 128x128 tiles for big products, 64x64 for small ones, and K splits that fill 132 SMs (LM head dh, weight gradients)', () => {
    const plan = (M: number, N: number, K: number, batch = 1) => planGemm({ batch, M, N, K, strideA: 0, strideB: 0 });
    expect(plan(4096, 288, 50304)).toEqual({ tile: '128x128', splitK: 6 }); // LM head dh, one chunk
    expect(plan(288, 1152, 16384)).toEqual({ tile: '128x128', splitK: 20 }); // a weight gradient
    expect(plan(4096, 50304, 288)).toEqual({ tile: '128x128', splitK: 1 }); // logits
    expect(plan(64, 64, 64)).toEqual({ tile: '64x64', splitK: 1 });
    expect(plan(256, 48, 256, 384).splitK).toBe(1); // batched: never split
    const shape = { batch: 1, M: 300, N: 200, K: 100, strideA: 0, strideB: 0, splitK: 1 };
    const program = new GemmProgram(shape, false, true, '128x128');
    expect(program.workgroupSize).toEqual([16, 16, 1]);
    expect(program.dispatch).toEqual([2, 3, 1]);
    expect(program.getUserCode()).not.toContain('if (e <'); // 256 threads divide 128 × 16
    for (const tile of GEMM_TILES) {
      const g = tileGeometry(tile);
      expect(g.tx * g.ty).toBeLessThanOrEqual(256);
      expect(4 * g.g * g.tx).toBe(g.n);
      expect(4 * g.g * g.ty).toBe(g.m);
    }
  });

  it('shares a one-sided batch operand, runs as one dispatch, and leaves no tensors behind', async () => {
    const a = tf.tensor(floats(2 * 3 * 4 * 5, 1), [2, 3, 4, 5]); // (2, 3, 4, 5)
    const w = tf.tensor(floats(5 * 6, 2), [5, 6]); // shared (5, 6)
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => tf.matMul(a, w));
    const out = profile.result as tf.Tensor;
    expect(out.shape).toEqual([2, 3, 4, 6]);
    expect(profile.kernels.filter((k) => k.name === 'BatchMatMul')).toHaveLength(1);
    const want = hostMatMul(
      (await a.data()) as Float32Array,
      [24, 5],
      (await w.data()) as Float32Array,
      [5, 6],
      false,
      false,
    );
    const got = await out.data();
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(
      gemmShape(
        { dataId: {}, shape: [2, 1, 3, 4], dtype: 'float32' },
        { dataId: {}, shape: [1, 5, 4, 2], dtype: 'float32' },
        false,
        false,
      ),
    ).toBeNull();
    a.dispose();
    w.dispose();
  });

  it('tf.fused.matMul adds a full-shape addend (accumulation) or a bias row in the epilogue', async () => {
    const av = floats(9 * 6, 11),
      bv = floats(9 * 7, 12),
      cv = floats(6 * 7, 13),
      rv = floats(7, 14);
    const host = hostMatMul(av, [9, 6], bv, [9, 7], true, false); // (6, 7) = Aᵀ B
    setGemmSplit(2); // the addend goes through the split-K reduction too
    const [fullSplit] = await Promise.all([
      tf
        .tidy(() =>
          tf.fused.matMul({
            a: tf.tensor(av, [9, 6]),
            b: tf.tensor(bv, [9, 7]),
            transposeA: true,
            bias: tf.tensor(cv, [6, 7]),
          }),
        )
        .data(),
    ]);
    setGemmSplit(null);
    const [full, row] = await Promise.all([
      tf
        .tidy(() =>
          tf.fused.matMul({
            a: tf.tensor(av, [9, 6]),
            b: tf.tensor(bv, [9, 7]),
            transposeA: true,
            bias: tf.tensor(cv, [6, 7]),
          }),
        )
        .data(),
      tf
        .tidy(() =>
          tf.fused.matMul({
            a: tf.tensor(av, [9, 6]),
            b: tf.tensor(bv, [9, 7]),
            transposeA: true,
            bias: tf.tensor(rv, [7]),
          }),
        )
        .data(),
    ]);
    host.forEach((v, i) => {
      expect(full[i]).toBeCloseTo(v + cv[i], 5);
      expect(fullSplit[i]).toBeCloseTo(v + cv[i], 5);
      expect(row[i]).toBeCloseTo(v + rv[i % 7], 5);
    });
  });

  it('gives the same gradients as the cpu backend', async () => {
    const av = floats(6 * 9, 3),
      bv = floats(7 * 9, 4),
      dv = floats(6 * 7, 5);
    const grads = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, false, true), tf.tensor(dv, [6, 7])));
        return tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([tf.tensor(av, [6, 9]), tf.tensor(bv, [7, 9])]);
      });
    const [ga, gb] = grads();
    const gotA = await ga.data(),
      gotB = await gb.data();
    ga.dispose();
    gb.dispose();
    await tf.setBackend('cpu');
    const [ca, cb] = grads();
    const wantA = await ca.data(),
      wantB = await cb.data();
    ca.dispose();
    cb.dispose();
    await webgpu.init();
    wantA.forEach((v, i) => expect(gotA[i]).toBeCloseTo(v, 5));
    wantB.forEach((v, i) => expect(gotB[i]).toBeCloseTo(v, 5));
  });
});
