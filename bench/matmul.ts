// GEMM benchmark on WebGPU: tfjs's own BatchMatMul vs nanometa's tiled SGEMM (each tile forced, without a
// split; `auto`: planGemm's tile and split; `square`: the first planner's) per inner-loop variant at the
// tinystories-15m training shapes (tokens = batch × 256), each result checked against tfjs's first.
//   npx tsx bench/matmul.ts [--tokens 16384] [--reps 10] [--variants vec4,prefetch] [--tiles tfjs,128x128,128x96,auto,square] [--software]
// Prints one JSON line per shape: ms and TFLOP/s per tile (and variant, other than vec4: `ms_auto_prefetch`), the wall
// time of `reps` products with one read-back at the end (outputs are recycled: allocation stays out of the timing),
// and `est_…`: planGemm's estimate (estimateGemmUs, ms) for the same plan, to check the planner's model.
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { setUpBackend } from '../src/kernels/register.js';
import { estimateGemmUs, GEMM_TILES, GEMM_VARIANTS, planGemm, type GemmTile, type GemmVariant } from '../src/kernels/matmul/program.js';
import { gemmVariant, setGemmTile, setGemmVariant } from '../src/kernels/matmul/webgpu.js';

const o = new Command('bench/matmul.ts').option('--tokens <n>', 'rows of the activations', '16384').option('--reps <n>', 'products per timing', '10')
  .option('--chunk <n>', 'rows of one LM-head chunk', '2668').option('--software', 'Mesa software adapter')
  .option('--variants <list>', `GEMM inner loops to time, comma-separated (${GEMM_VARIANTS.join(', ')}); default NANOMETA_GEMM's`, gemmVariant())
  .option('--tiles <list>', `tfjs (its own kernel), ${GEMM_TILES.join(', ')} (forced, no split-K), auto (planGemm: tile and split-K), square (the first planner)`,
    'tfjs,128x128,128x96,96x96,auto,square')
  .option('--only <text>', 'shapes whose label contains this (e.g. head)').parse().opts();
const N = Number(o.tokens), reps = Number(o.reps), n = Number(o.chunk);
const variants = String(o.variants).split(',') as GemmVariant[];
type TileArg = GemmTile | 'tfjs' | 'auto' | 'square';
const tiles = String(o.tiles).split(',').map((t) => (t === '64' ? '64x64' : t === '128' ? '128x128' : t)) as TileArg[];
for (const v of variants) if (!GEMM_VARIANTS.includes(v)) throw new Error(`--variants: unknown ${v} (one of ${GEMM_VARIANTS.join(', ')})`);
const TILE_ARGS: readonly string[] = ['tfjs', ...GEMM_TILES, 'auto', 'square'];
for (const t of tiles) if (!TILE_ARGS.includes(t)) throw new Error(`--tiles: unknown ${t} (${TILE_ARGS.join(', ')})`);
const info = await setUpBackend('webgpu', { software: o.software });
console.log(JSON.stringify({ device: info.device, variants }));

// [label, a shape, b shape, transA, transB]
const shapes: Array<[string, number[], number[], boolean, boolean]> = [
  ['qkv x·Wᵀ', [N, 288], [864, 288], false, true],
  ['fc x·Wᵀ', [N, 288], [1152, 288], false, true],
  ['proj x·Wᵀ', [N, 1152], [288, 1152], false, true],
  ['fc dx = dy·W', [N, 1152], [1152, 288], false, false],
  ['fc dW = dyᵀ·x', [N, 1152], [N, 288], true, false],
  ['head logits h·Wᵀ', [n, 288], [50304, 288], false, true],
  ['head dh = p·W', [n, 50304], [50304, 288], false, false],
  ['head dW = pᵀ·h', [n, 50304], [n, 288], true, false],
  ['attn q·kᵀ', [N / 256 * 6, 256, 48], [N / 256 * 6, 256, 48], false, true],
  ['attn p·v', [N / 256 * 6, 256, 256], [N / 256 * 6, 256, 48], false, false],
];

for (const [label, as, bs, tA, tB] of shapes.filter(([label]) => !o.only || label.includes(o.only))) {
  const a = tf.randomNormal(as, 0, 1, 'float32', 1);
  const b = tf.randomNormal(bs, 0, 1, 'float32', 2);
  const M = tA ? as[as.length - 1] : as[as.length - 2];
  const K = tA ? as[as.length - 2] : as[as.length - 1];
  const Ncols = tB ? bs[bs.length - 2] : bs[bs.length - 1];
  const batch = as.length === 3 ? as[0] : 1;
  const flops = 2 * batch * M * Ncols * K;
  const row: Record<string, unknown> = { shape: label, M, N: Ncols, K, batch, plan: planGemm({ batch, M, N: Ncols, K, strideA: 0, strideB: 0 }) };
  let ref: Float32Array | null = null;
  // tfjs's kernel once, then each of our tiles per inner-loop variant; `column` names the results.
  type Run = { tile: (typeof tiles)[number]; variant: GemmVariant; column: string };
  const runs = tiles.flatMap((tile): Run[] => tile === 'tfjs' ? [{ tile, variant: 'vec4', column: 'tfjs' }]
    : variants.map((variant) => ({ tile, variant, column: variant === 'vec4' ? `${tile}` : `${tile}_${variant}` })));
  for (const { tile, variant, column } of runs) {
    setGemmTile(tile === 'auto' || tile === 'square' ? null : tile);
    if (tile === 'square') process.env.NANOMETA_GEMM_PLAN = 'square';
    else delete process.env.NANOMETA_GEMM_PLAN;
    setGemmVariant(variant);
    const once = () => tf.matMul(a, b, tA, tB);
    const warm = once();
    const got = (await warm.data()) as Float32Array;
    warm.dispose();
    if (!ref) ref = got;
    else {
      let num = 0, den = 0;
      for (let i = 0; i < ref.length; i += 7) { num += (got[i] - ref[i]) ** 2; den += ref[i] ** 2; }
      row[`err${column}`] = +Math.sqrt(num / den).toExponential(2);
    }
    // Each product's output is disposed before the next one, so after the first rep tfjs's buffer pool hands
    // the same buffer back: the timing is the kernel's, not a fresh GPU allocation's (which costs more).
    const timed = async (n: number) => {
      const t0 = performance.now();
      for (let r = 0; r < n - 1; r++) once().dispose();
      const last = once();
      await last.data();
      last.dispose();
      return (performance.now() - t0) / n;
    };
    await timed(2);
    const ms = await timed(reps);
    row[`ms_${column}`] = +ms.toFixed(3);
    row[`tflops_${column}`] = +(flops / ms / 1e9).toFixed(2);
    // The planner's estimate for what ran (the first planner's plan for `square`), to check its model.
    if (tile !== 'tfjs') {
      if (tile === 'square') process.env.NANOMETA_GEMM_PLAN = 'square';
      const shape = { batch, M, N: Ncols, K, strideA: 0, strideB: 0 };
      const plan = tile === 'auto' || tile === 'square' ? planGemm(shape) : { tile, splitK: 1 };
      delete process.env.NANOMETA_GEMM_PLAN;
      row[`est_${column}`] = +(estimateGemmUs(shape, plan) / 1000).toFixed(3);
    }
  }
  setGemmTile(null);
  setGemmVariant(variants[0]);
  delete process.env.NANOMETA_GEMM_PLAN;
  console.log(JSON.stringify(row));
  tf.dispose([a, b]);
}
