// nanometa's WebGPU BatchMatMul (kernels/matmul/program.ts) against float64 host products and the cpu backend,
// on the Mesa software adapter: every variant (vec4, scalar, prefetch), transpose combination and tile size,
// edges that are not multiples of the tile or of BK, split-K, batched and shared batch dimensions, the
// epilogues and GELU on load (kernels/linear's), and gradients.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { estimateGemmUs, GEMM_TILES, GEMM_VARIANTS, GemmProgram, gemmWorkgroupBytes, wideEligible, planGemm, tileGeometry, type GemmAddend, type GemmGelu, type GemmTile, type GemmVariant } from '../../src/kernels/matmul/program.js';
import { gemmShape, gemmVariant, lastGemmRun, originalWebGPUMatMul, runGemm, setGemmSplit, setGemmTile, setGemmVariant } from '../../src/kernels/matmul/webgpu.js';
import { testBackends } from '../backend/available.js';
import { floats } from './util.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

/** C = op(A)·op(B) in float64 on the host. */
function hostMatMul(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], tA: boolean, tB: boolean): Float64Array {
  const [ba, ra, ca] = aShape.length === 3 ? aShape : [1, ...aShape];
  const [bb, rb, cb] = bShape.length === 3 ? bShape : [1, ...bShape];
  const M = tA ? ca : ra, K = tA ? ra : ca, N = tB ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = ba === 1 ? 0 : z * ra * ca, bo = bb === 1 ? 0 : z * rb * cb;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ao + (tA ? k * ca + i : i * ca + k)] * b[bo + (tB ? j * cb + k : k * cb + j)];
      out[z * M * N + i * N + j] = s;
    }
  }
  return out;
}

describe.skipIf(webgpu.skip)('WebGPU BatchMatMul (tiled SGEMM) on the software adapter', () => {
  const startVariant = gemmVariant(); // NANOMETA_GEMM's, or vec4
  beforeAll(async () => {
    await webgpu.init();
  });
  afterEach(() => { // the automatic plan again, even after a failure
    setGemmTile(null);
    setGemmSplit(null);
    setGemmVariant(startVariant);
  });

  it('replaced tfjs kernel and matches float64 for every transpose, every tile, ragged edges', async () => {
    const storageLimit = (tf.backend() as WebGPUBackend).device.limits.maxComputeWorkgroupStorageSize;
    expect(originalWebGPUMatMul()).not.toBeNull();
    // [batch, M, N, K]; K = 150 gives every split several BK-tiles (prefetch's double buffer turns over) and a ragged last one.
    // The last two are multiples of 4 ('wide' reads them as vec4s; it falls back to vec4 for the others), ragged against the tiles and BK.
    const cases: Array<[number, number, number, number]> = [[1, 5, 7, 3], [1, 130, 67, 33], [3, 17, 129, 20], [2, 64, 64, 16], [1, 40, 36, 150],
      [1, 132, 100, 72], [3, 20, 36, 40], [1, 70, 67, 1200]];
    // Every tile (the 192- and 144-thread ones have a ragged last staging round), splits, every inner loop.
    const configs = [['64x64', null, 'vec4'], ['128x128', null, 'vec4'], ['64x64', 3, 'vec4'], ['128x128', 2, 'vec4'], ['64x64', null, 'scalar'],
      ['128x128', 2, 'scalar'], ['64x64', null, 'prefetch'], ['128x128', null, 'prefetch'], ['64x64', 3, 'prefetch'], ['128x128', 2, 'prefetch'],
      ['128x96', null, 'vec4'], ['96x128', 2, 'vec4'], ['96x96', null, 'vec4'], ['128x96', 3, 'prefetch'], ['96x128', null, 'scalar'],
      ['96x96', 2, 'prefetch'], ['128x96', null, 'deep'], ['64x64', 3, 'deep'], ['96x96', 2, 'deep'], ['128x128', null, 'deep'],
      ['128x128', null, 'wide'], ['128x96', 3, 'wide'], ['96x96', null, 'wide'], ['64x64', 2, 'wide'],
      ['128x96', null, 'double'], ['96x96', 3, 'double'], ['64x64', null, 'double'], ['128x128', null, 'double'],
      ['128x96', null, 'unrolled'], ['64x64', 3, 'unrolled'], ['96x128', 2, 'unrolled']] as const;
    for (const [tile, split, variant] of configs) {
      setGemmTile(tile);
      setGemmSplit(split);
      setGemmVariant(variant);
      for (const [batch, M, N, K] of cases) {
        for (const tA of [false, true]) for (const tB of [false, true]) {
          const aShape = batch === 1 ? (tA ? [K, M] : [M, K]) : (tA ? [batch, K, M] : [batch, M, K]);
          const bShape = batch === 1 ? (tB ? [N, K] : [K, N]) : (tB ? [batch, N, K] : [batch, K, N]);
          const av = floats(aShape.reduce((p, d) => p * d, 1), M + K + (tA ? 7 : 0));
          const bv = floats(bShape.reduce((p, d) => p * d, 1), N + K + (tB ? 5 : 0));
          const got = await tf.tidy(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB)).data();
          // The variant really ran, unless the device cannot hold it ('deep' 128x128 over 32 KiB) or the operands are not vec4-aligned ('wide').
          const ran = (variant === 'wide' && !wideEligible({ M, N, K }, tA, tB)) || gemmWorkgroupBytes(tile, variant) > storageLimit ? 'vec4' : variant;
          expect(lastGemmRun()).toEqual({ tile, splitK: split !== null && batch === 1 ? split : 1, variant: ran });
          const want = hostMatMul(av, aShape, bv, bShape, tA, tB);
          expect(got.length).toBe(want.length);
          let worst = 0;
          want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w) / (1 + Math.abs(w)))));
          expect(worst, `${variant} tile ${tile} split ${split} batch ${batch} M ${M} N ${N} K ${K} tA ${tA} tB ${tB}`).toBeLessThan(1e-5 * Math.sqrt(K / 16));
        }
      }
    }
  });

  it('runs the epilogues (full, row, both, geluGrad) and GELU on load in every variant, the tiles, split-K', async () => {
    const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    const geluPrime = (v: number) => {
      const t = Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v * v);
    };
    // Ragged against the tiles and BK; for 'wide' also multiples of 4 (else it would run as vec4).
    const dims = (variant: GemmVariant) => (variant === 'wide' ? [68, 100, 52] : [70, 67, 50]);
    // [addend, gelu, transA, transB, split]: linear's forward (x·Wᵀ + bias + residual, gelu(u)·Wᵀ), its backward
    // (du = dy·W ⊙ gelu'(u), dW = dyᵀ·gelu(u)), an accumulation through the split-K reduction.
    const cases: Array<[GemmAddend, GemmGelu, boolean, boolean, number | null]> = [
      ['both', 'A', false, true, null], ['row', 'none', false, true, 2], ['geluGrad', 'none', false, false, null],
      ['none', 'B', true, false, 3], ['full', 'A', true, true, 2],
    ];
    const backend = tf.backend() as WebGPUBackend;
    const runs: Array<[GemmVariant, GemmTile]> = [...GEMM_VARIANTS.flatMap((v) => (['64x64', '128x128'] as const).map((t): [GemmVariant, GemmTile] => [v, t])),
      ['vec4', '128x96'], ['prefetch', '96x128'], ['scalar', '96x96'], ['deep', '96x96'], ['wide', '128x96'], ['double', '96x128'], ['unrolled', '128x96']];
    for (const [variant, tile] of runs) {
      setGemmVariant(variant);
      expect(gemmVariant()).toBe(variant);
      setGemmTile(tile);
      const [M, N, K] = dims(variant);
      for (const [addend, geluOn, tA, tB, split] of cases) {
        setGemmSplit(split);
        const av = floats(M * K, 21 + K), bv = floats(K * N, 22 + N), c0 = floats(M * N, 23), c1 = floats(N, 24);
        const host = hostMatMul(geluOn === 'A' ? av.map(gelu) : av, tA ? [K, M] : [M, K], geluOn === 'B' ? bv.map(gelu) : bv, tB ? [N, K] : [K, N], tA, tB);
        const want = host.map((v, i) => addend === 'full' ? v + c0[i] : addend === 'row' ? v + c1[i % N] : addend === 'both' ? v + c0[i] + c1[i % N]
          : addend === 'geluGrad' ? v * geluPrime(c0[i]) : v);
        const a = tf.tensor(av, tA ? [K, M] : [M, K]), b = tf.tensor(bv, tB ? [N, K] : [K, N]);
        const addends = { none: [], full: [tf.tensor(c0, [M, N])], row: [tf.tensor(c1, [N])], both: [tf.tensor(c0, [M, N]), tf.tensor(c1, [N])],
          geluGrad: [tf.tensor(c0, [M, N])] }[addend];
        const out = tf.engine().makeTensorFromTensorInfo(runGemm(backend, a, b, gemmShape(a, b, tA, tB)!.shape, tA, tB, addend, addends, geluOn));
        const got = await out.data();
        tf.dispose([a, b, out, ...addends]);
        let worst = 0;
        want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w) / (1 + Math.abs(w)))));
        expect(worst, `${variant} tile ${tile} ${addend} gelu ${geluOn} tA ${tA} tB ${tB} split ${split}`).toBeLessThan(1e-5);
      }
    }
  });

  it('prefetch generates its own shader (double-buffered registers), vec4 and scalar do not; 192-thread tiles guard the last load', () => {
    const shape = { batch: 1, M: 300, N: 200, K: 100, strideA: 0, strideB: 0, splitK: 1 };
    const [vec4, scalar, prefetch] = GEMM_VARIANTS.map((v) => new GemmProgram(shape, false, true, '128x128', 'none', v));
    expect(new Set([vec4.shaderKey, scalar.shaderKey, prefetch.shaderKey]).size).toBe(3);
    expect(prefetch.getUserCode()).toContain('var ra : array<f32, 8>');
    expect(vec4.getUserCode()).not.toContain('var ra');
    expect(scalar.getUserCode()).not.toContain('var ra');
    expect(vec4.getUserCode()).not.toContain('if (e <'); // 256 threads divide 128 × 16
    const narrow = new GemmProgram(shape, false, true, '128x96', 'none', 'prefetch');
    expect(narrow.workgroupSize).toEqual([12, 16, 1]);
    expect(narrow.dispatch).toEqual([Math.ceil(200 / 96), Math.ceil(300 / 128), 1]);
    expect(narrow.getUserCode()).toContain('var ra : array<f32, 11>'); // 128 × 16 over 192 threads: 10⅔
    expect(narrow.getUserCode()).toContain('var rb : array<f32, 8>');
    expect(narrow.getUserCode()).toContain('if (e < 2048)');
    // 'deep' stages 32 of K: twice the workgroup memory; 128x128 'deep' is over 32 KiB and runs as vec4 there.
    expect(gemmWorkgroupBytes('128x128', 'vec4')).toBe(16 * (132 + 132) * 4);
    expect(gemmWorkgroupBytes('128x128', 'deep')).toBe(32 * (132 + 132) * 4);
    expect(gemmWorkgroupBytes('128x96', 'deep')).toBeLessThanOrEqual(32768);
    expect(gemmWorkgroupBytes('128x96', 'double')).toBe(2 * gemmWorkgroupBytes('128x96', 'vec4'));
    // Barriers inside the K loop: one per tile for 'double' (its first tile is staged before the loop), two for prefetch.
    const barriersInLoop = (v: GemmVariant) => new GemmProgram(shape, false, true, '96x96', 'none', v).getUserCode()
      .split('for (var t = 0; t < tiles')[1].match(/workgroupBarrier\(\)/g)!.length;
    expect(barriersInLoop('double')).toBe(1);
    expect(barriersInLoop('prefetch')).toBe(2);
    expect(new GemmProgram(shape, false, true, '96x96', 'none', 'deep').getUserCode()).toContain('for (var kk = 0; kk < 32; kk++)');
    // 'wide': A and B bound as vec4 arrays, loaded along their contiguous dimension; refused when that is not a multiple of 4.
    const aligned = { batch: 1, M: 300, N: 200, K: 100, strideA: 0, strideB: 0, splitK: 1 };
    const wide = new GemmProgram(aligned, true, false, '128x96', 'row', 'wide', 'A');
    expect(wide.variableComponents).toEqual([4, 4, 1]);
    expect(wide.getUserCode()).toContain('geluV(A[(aOff + gk * uniforms.M + gm) / 4])');
    expect(wide.getUserCode()).toContain('Bs[k * 25 + nq] = v;');
    expect(() => new GemmProgram({ ...aligned, K: 102 }, false, false, '128x128', 'none', 'wide')).toThrow(/multiples of 4/);
    expect(wideEligible({ M: 6, N: 8, K: 4 }, true, false)).toBe(false);
    expect(wideEligible({ M: 6, N: 8, K: 4 }, false, true)).toBe(true);
    for (const tile of GEMM_TILES) {
      const g = tileGeometry(tile);
      expect(g.tx * g.ty).toBeLessThanOrEqual(256);
      expect(4 * g.g * g.tx).toBe(g.n);
      expect(4 * g.g * g.ty).toBe(g.m);
    }
  });

  it('plans tiles that fit the 288-wide products and K splits that fill the GPU (LM head dh, weight gradients)', () => {
    const plan = (M: number, N: number, K: number, batch = 1) => planGemm({ batch, M, N, K, strideA: 0, strideB: 0 });
    expect(plan(4096, 288, 50304)).toEqual({ tile: '96x96', splitK: 3 }); // LM head dh, one chunk
    expect(plan(50304, 288, 4096)).toEqual({ tile: '96x96', splitK: 1 }); // LM head dW
    expect(plan(4096, 50304, 288)).toEqual({ tile: '128x128', splitK: 1 }); // logits: 128-tiles fit
    expect(plan(16384, 288, 1152)).toEqual({ tile: '128x96', splitK: 2 }); // MLP projection
    expect(plan(16384, 1152, 288)).toEqual({ tile: '128x96', splitK: 1 });
    expect(plan(1152, 288, 16384)).toEqual({ tile: '96x96', splitK: 32 }); // a weight gradient
    expect(plan(64, 64, 64)).toEqual({ tile: '64x64', splitK: 1 });
    expect(plan(256, 48, 256, 384).splitK).toBe(1); // batched: never split
    // Every 288-wide product of tinystories-15m is planned without padded columns; the estimate prefers that.
    for (const [M, K] of [[16384, 288], [16384, 1152], [4096, 50304], [50304, 4096]]) expect(288 % tileGeometry(plan(M, 288, K).tile).n).toBe(0);
    const dh = { batch: 1, M: 4096, N: 288, K: 50304, strideA: 0, strideB: 0 };
    expect(estimateGemmUs(dh, { tile: '128x128', splitK: 6 })).toBeGreaterThan(1.5 * estimateGemmUs(dh, plan(4096, 288, 50304)));
    // The first planner stays available for comparisons.
    process.env.NANOMETA_GEMM_PLAN = 'square';
    try {
      expect(plan(4096, 288, 50304)).toEqual({ tile: '128x128', splitK: 6 });
      expect(plan(288, 1152, 16384)).toEqual({ tile: '128x128', splitK: 20 });
      expect(plan(64, 64, 64)).toEqual({ tile: '64x64', splitK: 1 });
    } finally {
      delete process.env.NANOMETA_GEMM_PLAN;
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
    const want = hostMatMul(await a.data() as Float32Array, [24, 5], await w.data() as Float32Array, [5, 6], false, false);
    const got = await out.data();
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(gemmShape({ dataId: {}, shape: [2, 1, 3, 4], dtype: 'float32' }, { dataId: {}, shape: [1, 5, 4, 2], dtype: 'float32' }, false, false)).toBeNull();
    a.dispose(); w.dispose();
  });

  it('tf.fused.matMul adds a full-shape addend (accumulation) or a bias row in the epilogue', async () => {
    const av = floats(9 * 6, 11), bv = floats(9 * 7, 12), cv = floats(6 * 7, 13), rv = floats(7, 14);
    const host = hostMatMul(av, [9, 6], bv, [9, 7], true, false); // (6, 7) = Aᵀ B
    setGemmSplit(2); // the addend goes through the split-K reduction too
    const [fullSplit] = await Promise.all([
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor(av, [9, 6]), b: tf.tensor(bv, [9, 7]), transposeA: true, bias: tf.tensor(cv, [6, 7]) })).data(),
    ]);
    setGemmSplit(null);
    const [full, row] = await Promise.all([
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor(av, [9, 6]), b: tf.tensor(bv, [9, 7]), transposeA: true, bias: tf.tensor(cv, [6, 7]) })).data(),
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor(av, [9, 6]), b: tf.tensor(bv, [9, 7]), transposeA: true, bias: tf.tensor(rv, [7]) })).data(),
    ]);
    host.forEach((v, i) => {
      expect(full[i]).toBeCloseTo(v + cv[i], 5);
      expect(fullSplit[i]).toBeCloseTo(v + cv[i], 5);
      expect(row[i]).toBeCloseTo(v + rv[i % 7], 5);
    });
  });

  it('gives the same gradients as the cpu backend', async () => {
    const av = floats(6 * 9, 3), bv = floats(7 * 9, 4), dv = floats(6 * 7, 5);
    const grads = () => tf.tidy(() => {
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, false, true), tf.tensor(dv, [6, 7])));
      return tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([tf.tensor(av, [6, 9]), tf.tensor(bv, [7, 9])]);
    });
    const [ga, gb] = grads();
    const gotA = await ga.data(), gotB = await gb.data();
    ga.dispose(); gb.dispose();
    await tf.setBackend('cpu');
    const [ca, cb] = grads();
    const wantA = await ca.data(), wantB = await cb.data();
    ca.dispose(); cb.dispose();
    await webgpu.init();
    wantA.forEach((v, i) => expect(gotA[i]).toBeCloseTo(v, 5));
    wantB.forEach((v, i) => expect(gotB[i]).toBeCloseTo(v, 5));
  });
});
