// A GEMM planner not yet measured on a GPU: tiles 128x96, 96x128 and 96x96 besides src's 128x128 and 64x64
// (8×8 outputs per thread, 192 or 144 threads: a 288-wide side, the model width of tinystories-15m, is 3 × 96
// where 128-tiles throw a quarter of the last tile's work away), and the plan that minimises estimateGemmUs,
// an SM-round cost model calibrated on one number of call 3 (the logits product, 30 TFLOP/s on an H200).
// src plans with planGemm (kernels/matmul/program.ts); this one goes there only with a GPU figure that beats it.
import { tileGeometry, type GemmPlan, type GemmShape, type GemmTile } from '../../src/kernels/matmul/program.js';

export const COST_TILES: readonly GemmTile[] = ['64x64', '128x128', '128x96', '96x128', '96x96'];

const SMS = 132;
/** Threads of these kernels an SM holds at once: ~128 registers a thread for 8×8 outputs; ~40 for 64x64's 4×4. */
const SM_THREADS = 512,
  SM_THREADS_64 = 1024;
/** Threads an SM needs to keep its FP32 pipes busy (each has 64 independent FMAs per staged k). */
const SATURATING_THREADS = 384;
/** fp32 FMAs per µs the whole GPU sustains in these kernels (~30 TFLOP/s), and floats per µs of DRAM traffic (~4 TB/s). */
const FMA_PER_US = 15e6,
  FLOATS_PER_US = 1e6;
/** One more dispatch (split-K's reduction), µs: the GPU's gap between dispatches and tfjs's host cost of one. */
const DISPATCH_US = 10;
/** 64x64 does half of 128x128's FMAs per workgroup-memory read. */
const EFFICIENCY_64 = 0.6;
const SPLITS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
/** Shortest K a split may take. */
const MIN_K_PER_SPLIT = 256;
const BK = 16;

/**
 * Estimated µs of one product under a plan. Workgroups spread evenly over the SMs; the busiest SM runs its
 * share in rounds of as many as fit, each round as long as its FMAs (padding included: a 128-wide tile over
 * 288 columns computes 384) at the SM's rate, which drops when too few threads are resident (the last,
 * partial round). A split adds its partials' traffic and the reduction's dispatch. The value ranks plans.
 */
export function estimateGemmUs(shape: Omit<GemmShape, 'splitK'>, plan: GemmPlan): number {
  const g = tileGeometry(plan.tile);
  const threads = g.tx * g.ty;
  const perSm = Math.max(1, Math.floor((plan.tile === '64x64' ? SM_THREADS_64 : SM_THREADS) / threads)); // workgroups at once
  const kPer = Math.ceil(shape.K / plan.splitK / BK) * BK;
  const fmas = (g.m * g.n * kPer) / (plan.tile === '64x64' ? EFFICIENCY_64 : 1); // one workgroup's
  const workgroups = shape.batch * Math.ceil(shape.M / g.m) * Math.ceil(shape.N / g.n) * plan.splitK;
  const share = Math.ceil(workgroups / SMS); // the busiest SM's
  const round = (n: number) => (n * fmas) / Math.min(1, (n * threads) / SATURATING_THREADS); // SM-rate units
  const smUnits = Math.floor(share / perSm) * round(perSm) + (share % perSm ? round(share % perSm) : 0);
  const compute = (smUnits * SMS) / FMA_PER_US;
  return compute + (plan.splitK > 1 ? (2 * plan.splitK * shape.M * shape.N) / FLOATS_PER_US + DISPATCH_US : 0);
}

/** Every plan for a product: each tile, and K splits for batch-1 products with a long K. */
export function costPlans(shape: Omit<GemmShape, 'splitK'>): GemmPlan[] {
  const splits = SPLITS.filter((s) => s === 1 || (shape.batch === 1 && shape.K / s >= MIN_K_PER_SPLIT));
  return COST_TILES.flatMap((tile) => splits.map((splitK) => ({ tile, splitK })));
}

/** The plan with the least estimateGemmUs (ties: the earlier in COST_TILES, then the smaller split). */
export function planByCost(shape: Omit<GemmShape, 'splitK'>): GemmPlan {
  let best = costPlans(shape)[0],
    bestUs = Infinity;
  for (const plan of costPlans(shape)) {
    const us = estimateGemmUs(shape, plan);
    if (us < bestUs) {
      best = plan;
      bestUs = us;
    }
  }
  return best;
}
