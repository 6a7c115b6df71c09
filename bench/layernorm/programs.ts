// The WebGPU LayerNorm backward as tfjs programs, the path before src's two raw passes (kernels/layernorm/raw.ts):
// dx in one program, dweight/dbias as (chunks, C) partial sums in one and a column sum each (3-4 dispatches, as
// tfjs programs have one fresh output each). Not yet compared on a GPU: bench.ts --variant lnprograms runs a
// training step with it in place of src's kernel (bench/gpu.sh part lnprograms).
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FlatProgram, sum, WORKGROUP_INDEX, workgroupReductions } from '../../src/kernels/program-base.js';
import { RowProgram, rowHelpers } from '../../src/kernels/layernorm/program.js';
import { LAYER_NORM_GRAD, type LayerNormAttrs, type LayerNormGradInputs } from '../../src/kernels/layernorm/index.js';
import { webgpuKernels } from '../../src/kernels/layernorm/webgpu.js';

/**
 * At most this many workgroups (chunks of whole rows) make the dweight/dbias partial sums: N = 32768 rows
 * gives 4096 chunks of 8 rows, enough workgroups to fill a GPU, each with only 8 rows of serial work.
 */
export const MAX_CHUNKS = 4096;
/** Threads per workgroup of the column sum over the (chunks, C) partials, one workgroup per column. */
const COLUMN_WG = 64;

/**
 * dx (N, C) from x (N, C), weight (C), dy (N, C), plus dres (N, C) when given (the residual stream's own
 * gradient, NanometaLayerNormResidual): one workgroup per row, mean and rstd recomputed.
 */
export class LayerNormGradXProgram extends RowProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];

  constructor(N: number, C: number, withResidual = false) {
    super([N, C], C, N);
    this.variableNames = withResidual ? ['x', 'weight', 'dy', 'dres'] : ['x', 'weight', 'dy'];
    this.shaderKey = `nanometaLayerNormGradX_${C}_${withResidual ? 'r' : ''}`;
  }

  getUserCode(): string {
    const { C, K } = this;
    const addRes = this.variableNames.length === 4 ? ` + dres[row * ${C} + c]` : '';
    return `${rowHelpers(this.WG, K, C)}
      fn main(index : i32) {
        let row = workgroupRow();
        let N = uniforms.xShape.x;
        let r = min(row, N - 1);
        var v : array<f32, ${K}>;
        var g : array<f32, ${K}>;
        let rstd = loadCentred(r, &v);
        var acc = vec2<f32>(0.0, 0.0); // (sum dyw, sum dyw * xhat)
        for (var k = 0; k < ${K}; k = k + 1) {
          let c = col(k);
          if (c < ${C}) {
            v[k] = v[k] * rstd; // xhat
            g[k] = dy[r * ${C} + c] * weight[c]; // dyw
            acc = acc + vec2<f32>(g[k], g[k] * v[k]);
          }
        }
        let m = wgSum2(acc) / ${C}.0;
        if (row >= N) { return; }
        for (var k = 0; k < ${K}; k = k + 1) {
          let c = col(k);
          if (c < ${C}) { result[row * ${C} + c] = rstd * (g[k] - m.x - v[k] * m.y)${addRes}; }
        }
      }
    `;
  }
}

/** partials (2, chunks, C) from x (N, C), dy (N, C): [0] sums dy * xhat, [1] sums dy over each chunk of rows. */
export class LayerNormGradPartialsProgram extends RowProgram {
  readonly shaderKey: string;
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = 'eps : f32, rowsPerChunk : i32, ';

  constructor(chunks: number, C: number) {
    super([2, chunks, C], C, chunks);
    this.shaderKey = `nanometaLayerNormGradPartials_${C}`;
  }

  getUserCode(): string {
    const { C, K } = this;
    return `${rowHelpers(this.WG, K, C)}
      fn main(index : i32) {
        let chunk = workgroupRow();
        let N = uniforms.xShape.x;
        let chunks = uniforms.outShape.y;
        var v : array<f32, ${K}>;
        var accW : array<f32, ${K}>;
        var accB : array<f32, ${K}>;
        for (var k = 0; k < ${K}; k = k + 1) { accW[k] = 0.0; accB[k] = 0.0; }
        // The loop bound is uniform so every thread reaches the barriers in loadCentred.
        for (var i = 0; i < uniforms.rowsPerChunk; i = i + 1) {
          let row = chunk * uniforms.rowsPerChunk + i;
          let r = min(row, N - 1);
          let rstd = loadCentred(r, &v);
          if (row < N) {
            for (var k = 0; k < ${K}; k = k + 1) {
              let c = col(k);
              if (c < ${C}) {
                let d = dy[r * ${C} + c];
                accW[k] = accW[k] + d * v[k] * rstd;
                accB[k] = accB[k] + d;
              }
            }
          }
        }
        if (chunk >= chunks) { return; }
        for (var k = 0; k < ${K}; k = k + 1) {
          let c = col(k);
          if (c < ${C}) {
            result[chunk * ${C} + c] = accW[k];
            result[(chunks + chunk) * ${C} + c] = accB[k];
          }
        }
      }
    `;
  }
}

/** out (C) = sum over chunks of partials[part, chunk, :]; one 64-thread workgroup per column; `part` (0: dweight, 1: dbias). */
export class LayerNormColumnSumProgram extends FlatProgram {
  readonly shaderKey = 'nanometaLayerNormColumnSum';
  readonly variableNames = ['partials'];
  readonly uniforms = 'part : i32, ';

  constructor(C: number) {
    super([C], COLUMN_WG, C * COLUMN_WG);
  }

  getUserCode(): string {
    return `
      ${workgroupReductions('red', 'f32', COLUMN_WG, { wgSum: sum })}
      fn main(index : i32) {
        let column = ${WORKGROUP_INDEX};
        let chunks = uniforms.partialsShape.y;
        let C = uniforms.partialsShape.z;
        let c = min(column, C - 1);
        var s = 0.0;
        for (var j = i32(localIndex); j < chunks; j = j + ${COLUMN_WG}) { s = s + partials[(uniforms.part * chunks + j) * C + c]; }
        let total = wgSum(s);
        if (localIndex == 0u && column < C) { result[column] = total; }
      }
    `;
  }
}

/** NanometaLayerNormGrad on WebGPU as the three programs above (4 dispatches with a bias, 3 without). */
function layerNormGradPrograms({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x, weight, dy, dres } = inputs as LayerNormGradInputs;
  const { eps, withBias } = attrs as unknown as LayerNormAttrs;
  const gpu = backend as WebGPUBackend;
  const [N, C] = x.shape;
  const dxInputs = dres ? [x, weight, dy, dres] : [x, weight, dy];
  const dx = gpu.runWebGPUProgram(new LayerNormGradXProgram(N, C, dres !== undefined), dxInputs, 'float32', [
    { type: 'float32', data: [eps] },
  ]); // (N, C)
  const rowsPerChunk = Math.ceil(N / MAX_CHUNKS);
  const chunks = Math.ceil(N / rowsPerChunk);
  const partials = gpu.runWebGPUProgram(new LayerNormGradPartialsProgram(chunks, C), [x, dy], 'float32', [
    { type: 'float32', data: [eps] },
    { type: 'int32', data: [rowsPerChunk] },
  ]); // (2, chunks, C)
  const columnSum = (part: number) =>
    gpu.runWebGPUProgram(new LayerNormColumnSumProgram(C), [partials], 'float32', [{ type: 'int32', data: [part] }]); // (C)
  const outs = withBias ? [dx, columnSum(0), columnSum(1)] : [dx, columnSum(0)];
  gpu.disposeData(partials.dataId);
  return outs;
}

/** Runs NanometaLayerNormGrad on WebGPU with the programs instead of src's raw passes; returns the undo. */
export function useLayerNormGradPrograms(): () => void {
  const swap = (kernelFunc: tf.KernelFunc) => {
    if (tf.getKernel(LAYER_NORM_GRAD, 'webgpu')) tf.unregisterKernel(LAYER_NORM_GRAD, 'webgpu');
    tf.registerKernel({ kernelName: LAYER_NORM_GRAD, backendName: 'webgpu', kernelFunc });
  };
  const src = webgpuKernels.find((k) => k.kernelName === LAYER_NORM_GRAD)!;
  swap(layerNormGradPrograms as unknown as tf.KernelFunc);
  return () => swap(src.kernelFunc);
}
