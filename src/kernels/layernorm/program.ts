// WGSL for NanometaLayerNorm's forward: one workgroup per row holds the row in registers (K = ceil(C / WG)
// values per thread), so mean and variance are exact two-pass sums from one read (llm.c layernorm.cu). The
// backward is raw.ts's two passes; RowProgram and rowHelpers also serve bench/layernorm's program variant.
import { FlatProgram, sum, WORKGROUP_INDEX, workgroupReductions } from '../program-base.js';

/** Threads per workgroup for rows of C: 64 up to C = 512, then 256; each thread keeps K values in registers. */
export function layerNormTiling(C: number): { WG: number; K: number } {
  const WG = C <= 512 ? 64 : 256;
  return { WG, K: Math.ceil(C / WG) };
}

/** WGSL shared by the row programs: the row index of this workgroup, tree sums over the workgroup, row stats. */
export function rowHelpers(WG: number, K: number, C: number): string {
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

/** One workgroup of WG threads per row (or chunk of rows), each thread keeping K of the row's C values. */
export abstract class RowProgram extends FlatProgram {
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
