// bench/matmul on the Mesa software adapter: the runner validates every variant × plan against its float64
// reference (no timing asserted), and the variant programs compute the product with every tile, split-K, the
// epilogues and GELU on load; their shaders have the structure each variant names.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GemmProgram, type GemmAddend, type GemmGelu, type GemmTile } from '../../src/kernels/matmul/program.js';
import { gemmShape, runGemm } from '../../src/kernels/matmul/webgpu.js';
import {
  INNER_LOOPS,
  VariantGemmProgram,
  wideEligible,
  workgroupBytes,
  type InnerLoop,
} from '../../bench/matmul/programs.js';
import { estimateGemmUs, planByCost } from '../../bench/matmul/planner.js';
import { MATMUL_VARIANTS, resolvePlan } from '../../bench/matmul/variants.js';
import { MAX_ERR, runMatmulBench, type MatmulRow } from '../../bench/matmul/runner.js';
import { testBackends } from '../backend/available.js';
import { gemmEpilogueCase, worstRelError } from '../kernels/util.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

describe('bench/matmul planner (no device)', () => {
  it('plans tiles that fit the 288-wide products and K splits that fill the GPU', () => {
    const plan = (M: number, N: number, K: number, batch = 1) => planByCost({ batch, M, N, K, strideA: 0, strideB: 0 });
    expect(plan(4096, 288, 50304)).toEqual({ tile: '96x96', splitK: 3 }); // LM head dh, one chunk
    expect(plan(4096, 50304, 288)).toEqual({ tile: '128x128', splitK: 1 }); // logits: 128-tiles fit
    expect(plan(16384, 288, 1152)).toEqual({ tile: '128x96', splitK: 2 }); // MLP projection
    expect(plan(1152, 288, 16384)).toEqual({ tile: '96x96', splitK: 32 }); // a weight gradient
    expect(plan(64, 64, 64)).toEqual({ tile: '64x64', splitK: 1 });
    expect(plan(256, 48, 256, 384).splitK).toBe(1); // batched: never split
    const dh = { batch: 1, M: 4096, N: 288, K: 50304, strideA: 0, strideB: 0 };
    expect(estimateGemmUs(dh, { tile: '128x128', splitK: 6 })).toBeGreaterThan(
      1.5 * estimateGemmUs(dh, plan(4096, 288, 50304)),
    );
    expect(resolvePlan('src', dh)).toEqual({ tile: '128x128', splitK: 6 });
    expect(resolvePlan('128x96/3', dh)).toEqual({ tile: '128x96', splitK: 3 });
    expect(() => resolvePlan('100x100', dh)).toThrow(/not src, cost or a tile/);
    expect(MATMUL_VARIANTS.map((v) => `${v.id} ${v.name}`)).toEqual([
      '0 tfjs',
      '1 vec4',
      '2 scalar',
      '3 prefetch',
      '4 deep',
      '5 wide',
      '6 double',
      '7 unrolled',
    ]);
  });

  it('generates the shader each inner loop names', () => {
    const shape = { batch: 1, M: 300, N: 200, K: 100, strideA: 0, strideB: 0, splitK: 1 };
    const make = (loop: InnerLoop, tile: GemmTile = '96x96') => new VariantGemmProgram(loop, shape, false, true, tile);
    const vec4 = new GemmProgram(shape, false, true, '128x128');
    expect(new Set([vec4.shaderKey, ...INNER_LOOPS.map((l) => make(l, '128x128').shaderKey)]).size).toBe(
      1 + INNER_LOOPS.length,
    );
    expect(make('prefetch', '128x128').getUserCode()).toContain('var ra : array<f32, 8>');
    expect(vec4.getUserCode()).not.toContain('var ra');
    const narrow = make('prefetch', '128x96');
    expect(narrow.workgroupSize).toEqual([12, 16, 1]);
    expect(narrow.getUserCode()).toContain('var ra : array<f32, 11>'); // 128 × 16 over 192 threads: 10⅔
    expect(narrow.getUserCode()).toContain('if (e < 2048)');
    expect(workgroupBytes('128x128', 'vec4')).toBe(16 * (132 + 132) * 4);
    expect(workgroupBytes('128x128', 'deep')).toBe(32 * (132 + 132) * 4);
    expect(workgroupBytes('128x96', 'double')).toBe(2 * workgroupBytes('128x96', 'vec4'));
    const barriersInLoop = (loop: InnerLoop) =>
      make(loop)
        .getUserCode()
        .split('for (var t = 0; t < tiles')[1]
        .match(/workgroupBarrier\(\)/g)!.length;
    expect(barriersInLoop('double')).toBe(1);
    expect(barriersInLoop('prefetch')).toBe(2);
    expect(make('deep').getUserCode()).toContain('for (var kk = 0; kk < 32; kk++)');
    const wide = new VariantGemmProgram('wide', shape, true, false, '128x96', 'row', 'A');
    expect(wide.variableComponents).toEqual([4, 4, 1]);
    expect(wide.getUserCode()).toContain('geluV(A[(aOff + gk * uniforms.M + gm) / 4])');
    expect(() => new VariantGemmProgram('wide', { ...shape, K: 102 }, false, false, '128x128')).toThrow(
      /multiples of 4/,
    );
    expect(wideEligible({ M: 6, N: 8, K: 4 }, true, false)).toBe(false);
  });
});

describe.skipIf(webgpu.skip)(`bench/matmul on ${webgpu.label}`, () => {
  beforeAll(async () => {
    await webgpu.init();
  });
  afterEach(() => expect(tf.getBackend()).toBe('webgpu'));

  it("validates every variant under src's plan and a forced tile with a split on small products, and leaves no tensors behind", async () => {
    const before = tf.memory().numTensors;
    const rows: MatmulRow[] = [];
    // Ragged against every tile; K long enough for the cost model's splits; a batched product; an unaligned one ('wide' skips it).
    const shapes = [
      { label: 'xWt', a: [70, 520], b: [68, 520], transA: false, transB: true },
      { label: 'dW', a: [600, 36], b: [600, 52], transA: true, transB: false },
      { label: 'batched', a: [3, 20, 36], b: [3, 36, 44], transA: false, transB: false },
      { label: 'odd', a: [33, 17], b: [17, 29], transA: false, transB: false },
    ];
    // src's plan (64x64 at these sizes) and a forced 8×8-per-thread tile with a split; the cost model's plans are checked above.
    await runMatmulBench({
      shapes,
      variants: MATMUL_VARIANTS,
      plans: ['src', '128x96/2'],
      reps: 1,
      log: (r) => rows.push(r),
    });
    expect(tf.memory().numTensors).toBe(before);
    const ran = rows.filter((r) => !r.skipped && !r.variant.startsWith('best'));
    for (const r of ran) expect(r.valid, `${r.shape} ${r.variant} ${r.plan}: err ${r.err}`).toBe(true);
    for (const r of ran) expect(r.err).toBeLessThanOrEqual(MAX_ERR);
    // Every variant ran (validated) on every shape it can run; 'wide' skipped the unaligned one and said why.
    for (const v of MATMUL_VARIANTS)
      for (const s of shapes) {
        const mine = rows.filter((r) => r.variant === `${v.id} ${v.name}` && r.shape === s.label);
        expect(mine.length, `${v.name} ${s.label}`).toBeGreaterThan(0);
        if (v.name === 'wide' && s.label === 'odd')
          expect(mine.every((r) => r.skipped === 'operands not vec4-aligned')).toBe(true);
        else
          expect(
            mine.some((r) => r.valid),
            `${v.name} ${s.label}`,
          ).toBe(true);
      }
    expect(rows.filter((r) => r.shape === 'xWt' && r.variant === '1 vec4').map((r) => r.plan)).toEqual([
      '64x64',
      '128x96/2',
    ]);
    expect(rows.filter((r) => r.variant.startsWith('best: ')).length).toBe(shapes.length);
  }, 300_000); // a few hundred shader compilations on the software adapter

  it('every inner loop runs the epilogues and GELU on load, with and without split-K', async () => {
    const cases: Array<[GemmAddend, GemmGelu, boolean, boolean, number]> = [
      ['both', 'A', false, true, 1],
      ['geluGrad', 'none', false, false, 1],
      ['none', 'B', true, false, 3],
      ['full', 'A', true, true, 2],
    ];
    const backend = tf.backend() as WebGPUBackend;
    const tiles: GemmTile[] = ['64x64', '128x96', '96x128'];
    for (const [n, loop] of INNER_LOOPS.entries()) {
      const tile = tiles[n % tiles.length];
      const [M, N, K] = loop === 'wide' ? [68, 100, 52] : [70, 67, 50]; // ragged; 'wide' needs multiples of 4
      for (const [addend, geluOn, tA, tB, splitK] of cases) {
        const { a, b, addends, want } = gemmEpilogueCase([M, N, K], addend, geluOn, tA, tB);
        const info = runGemm(
          backend,
          a,
          b,
          gemmShape(a, b, tA, tB)!.shape,
          tA,
          tB,
          addend,
          addends,
          geluOn,
          { tile, splitK },
          (s, ta, tb, t, ad, ge) => new VariantGemmProgram(loop, s, ta, tb, t, ad, ge),
        );
        const out = tf.engine().makeTensorFromTensorInfo(info);
        const got = await out.data();
        tf.dispose([a, b, out, ...addends]);
        expect(
          worstRelError(got, want),
          `${loop} tile ${tile} ${addend} gelu ${geluOn} tA ${tA} tB ${tB} split ${splitK}`,
        ).toBeLessThan(1e-5);
      }
    }
  }, 300_000);
});
