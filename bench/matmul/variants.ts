// bench/matmul's numbered GEMM variants (llm.c's dev/cuda way): 0 is tfjs's own WebGPU kernel, 1 is src's
// (the vec4 loop, kernels/matmul), 2-7 the inner loops of programs.ts. Each runs under a plan: src's planGemm,
// the cost model of planner.ts, or a forced tile and split. A variant moves into src only with a GPU figure
// that shows it winning.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  planGemm,
  tileGeometry,
  type GemmPlan,
  type GemmShape,
  type GemmTile,
} from '../../src/kernels/matmul/program.js';
import { originalWebGPUMatMul, runGemm, type GemmProgramFactory } from '../../src/kernels/matmul/webgpu.js';
import { INNER_LOOPS, VariantGemmProgram, wideEligible, workgroupBytes, type InnerLoop } from './programs.js';
import { COST_TILES, planByCost } from './planner.js';

export interface MatmulVariant {
  id: number;
  name: 'tfjs' | 'vec4' | InnerLoop;
  about: string;
}

const ABOUT: Record<MatmulVariant['name'], string> = {
  tfjs: "tfjs's own WebGPU BatchMatMul (the baseline nanometa replaced)",
  vec4: "src's kernel: vec4 workgroup-memory reads, 16 of K per staged tile",
  scalar: 'one float per workgroup-memory read',
  prefetch: 'vec4 with register double-buffering: the next tile is loaded during the FMAs',
  deep: 'vec4 staging 32 of K per tile (half the barriers)',
  wide: 'vec4 with A and B read from global memory as vec4s (contiguous dimensions multiples of 4)',
  double: 'prefetch into two workgroup-memory buffers, one barrier per tile',
  unrolled: 'vec4 with the FMA loop and epilogue written out',
};

export const MATMUL_VARIANTS: readonly MatmulVariant[] = (['tfjs', 'vec4', ...INNER_LOOPS] as const).map(
  (name, id) => ({ id, name, about: ABOUT[name] }),
);

/** A plan argument: 'src' (planGemm), 'cost' (planner.ts's planByCost) or a tile with an optional split, '128x96/3'. */
export type PlanArg = string;

/** Resolves a plan argument for one product; throws on an unknown one. */
export function resolvePlan(arg: PlanArg, shape: Omit<GemmShape, 'splitK'>): GemmPlan {
  if (arg === 'src') return planGemm(shape);
  if (arg === 'cost') return planByCost(shape);
  const [tile, split] = arg.split('/');
  if (!COST_TILES.includes(tile as GemmTile))
    throw new Error(`plan ${arg}: not src, cost or a tile (${COST_TILES.join(', ')}) with an optional /split`);
  const splitK = split === undefined ? 1 : Number(split);
  if (!Number.isInteger(splitK) || splitK < 1) throw new Error(`plan ${arg}: the split must be a positive integer`);
  return { tile: tile as GemmTile, splitK: shape.batch === 1 ? splitK : 1 };
}

/** Why a variant cannot run a product under a plan on this device, or null. */
export function cannotRun(
  variant: MatmulVariant,
  plan: GemmPlan,
  shape: GemmShape,
  transA: boolean,
  transB: boolean,
  backend: WebGPUBackend,
): string | null {
  if (variant.name === 'tfjs') return null;
  const limit = backend.device.limits.maxComputeWorkgroupStorageSize;
  if (workgroupBytes(plan.tile, variant.name) > limit)
    return `needs ${workgroupBytes(plan.tile, variant.name)} bytes of workgroup memory (device: ${limit})`;
  const g = tileGeometry(plan.tile);
  if (g.tx * g.ty > backend.device.limits.maxComputeInvocationsPerWorkgroup)
    return `${g.tx * g.ty} threads per workgroup`;
  if (variant.name === 'wide' && !wideEligible(shape, transA, transB)) return 'operands not vec4-aligned';
  return null;
}

/** Runs one product with a variant under a plan: A·B as (batch, M, N) (tfjs: the caller's output shape). */
export function runVariant(
  variant: MatmulVariant,
  backend: WebGPUBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  shape: GemmShape,
  transA: boolean,
  transB: boolean,
  plan: GemmPlan,
): tf.TensorInfo {
  if (variant.name === 'tfjs') {
    const original = originalWebGPUMatMul();
    if (!original) throw new Error("tfjs's WebGPU BatchMatMul was not registered");
    return original({ inputs: { a, b }, backend, attrs: { transposeA: transA, transposeB: transB } }) as tf.TensorInfo;
  }
  const loop = variant.name;
  const factory: GemmProgramFactory | undefined =
    loop === 'vec4'
      ? undefined
      : (s, tA, tB, tile, addend, gelu) => new VariantGemmProgram(loop, s, tA, tB, tile, addend, gelu);
  return runGemm(backend, a, b, shape, transA, transB, 'none', [], 'none', plan, factory);
}
