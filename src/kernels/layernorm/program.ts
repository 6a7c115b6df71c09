// WGSL for NanometaLayerNorm(Grad). One workgroup per row (forward, dx) or per chunk of rows (dweight/dbias
// partial sums) holds the row in registers (K = ceil(C / WG) values per thread), so mean and variance are
// exact two-pass sums from one read; a final column sum reduces the (chunks, C) partials. llm.c layernorm.cu.
import { FlatProgram, sum, WORKGROUP_INDEX, workgroupReductions } from '../program-base.js';

/** Threads per workgroup for rows of C: 64 up to C = 512, then 256; each thread keeps K values in registers. */
export function layerNormTiling(C: number): { WG: number; K: number } {
  const WG = C <= 512 ? 64 : 256;
  return { WG, K: Math.ceil(C / WG) };
}

/**
 * At most this many workgroups (chunks of whole rows) make the dweight/dbias partial sums: N = 32768 rows
 * gives 4096 chunks of 8 rows, enough workgroups to fill a GPU, each with only 8 rows of serial work.
 */
export const MAX_CHUNKS = 4096;
/** Threads per workgroup of the column sum over the (chunks, C) partials, one workgroup per column. */
const COLUMN_WG = 64;

/** WGSL shared by the row programs: the row index of this workgroup, tree sums over the workgroup, row stats. */
function rowHelpers(WG: number, K: number, C: number): string {
  return `
    ${workgroupReductions('red', 'vec2<f32>', WG, { wgSum2: sum })}
    fn workgroupRow() -> i32 { return ${WORKGROUP_INDEX}; }
    fn col(k : i32) -> i32 { return i32(localIndex) + k * ${WG}; }
    // Loads row r of x into v (zeros past C), centres it and returns rstd = 1 / sqrt(var + eps).
    fn loadCentred(r : i32, v : ptr<function, array<f32, ${K}>>) -> f32 {
      var s = 0.0;
      for (var k = 0; k < ${K}; k = k + 1) {
        let c = col(k);
        var e = 0.0;
        if (c < ${C}) { e = x[r * ${C} + c]; }
        (*v)[k] = e;
        s = s + e;
      }
      let mean = wgSum2(vec2<f32>(s, 0.0)).x / ${C}.0;
      var q = 0.0;
      for (var k = 0; k < ${K}; k = k + 1) {
        if (col(k) < ${C}) { let d = (*v)[k] - mean; (*v)[k] = d; q = q + d * d; }
      }
      return 1.0 / sqrt(wgSum2(vec2<f32>(q, 0.0)).x / ${C}.0 + uniforms.eps); // inverseSqrt is ~12 bits on some adapters
    }
  `;
}

abstract class RowProgram extends FlatProgram {
  readonly uniforms: string = 'eps : f32, ';
  protected readonly C: number;
  protected readonly WG: number;
  protected readonly K: number;

  /** `groups` workgroups of WG threads, writing outputShape. */
  constructor(outputShape: number[], C: number, groups: number) {
    const { WG, K } = layerNormTiling(C);
    super(outputShape, WG, groups * WG);
    this.C = C;
    this.WG = WG;
    this.K = K;
  }
}

/** y (N, C) from x (N, C), weight (C), bias (C)?: one workgroup per row. */
export class LayerNormProgram extends RowProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];

  constructor(N: number, C: number, withBias: boolean) {
    super([N, C], C, N);
    this.variableNames = withBias ? ['x', 'weight', 'bias'] : ['x', 'weight'];
    this.shaderKey = `nanometaLayerNorm_${C}_${withBias ? 'b' : 'nb'}`;
  }

  getUserCode(): string {
    const { C, K } = this;
    const addBias = this.variableNames.length === 3 ? ' + bias[c]' : '';
    return `${rowHelpers(this.WG, K, C)}
      fn main(index : i32) {
        let row = workgroupRow();
        let N = uniforms.xShape.x;
        var v : array<f32, ${K}>;
        let rstd = loadCentred(min(row, N - 1), &v); // every workgroup reaches every barrier
        if (row >= N) { return; }
        for (var k = 0; k < ${K}; k = k + 1) {
          let c = col(k);
          if (c < ${C}) { result[row * ${C} + c] = v[k] * rstd * weight[c]${addBias}; }
        }
      }
    `;
  }
}

/**
 * dx (N, C) from x (N, C), weight (C), dy (N, C), plus dres (N, C) when given (the residual stream's own
 * gradient, NanometaLayerNormResidual, index.ts): one workgroup per row, mean and rstd recomputed.
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
