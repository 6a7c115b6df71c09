// WGSL for NanometaCausalSoftmax (forward) and NanometaCausalSoftmaxGrad: one workgroup per row of length T,
// each thread holding its ceil(T / WG) columns in registers, so a row is read once and written once.
// Row r of the (rows, T) view is query position i = r mod T; columns j > i are never read and written as 0.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { sum, WORKGROUP_INDEX, workgroupReductions } from '../program-base.js';

/** Shared shape of both programs: output (rows, T), one WG-thread workgroup per row, a `scale` uniform. */
abstract class CausalRowProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  readonly shaderKey: string;
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number];
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly uniforms = 'scale : f32,';
  /** Threads per row, and columns per thread (j = localIndex + e * WG for e < E). */
  protected readonly WG: number;
  protected readonly E: number;

  constructor(name: string, rows: number, T: number) {
    this.WG = T > 1024 ? 256 : 64;
    this.E = Math.ceil(T / this.WG);
    this.shaderKey = `${name}_${this.WG}_${this.E}`;
    this.outputShape = [rows, T];
    this.workgroupSize = [this.WG, 1, 1];
    this.dispatch = [rows, 1, 1]; // one workgroup per row; tfjs folds x into y/z past the per-dimension limit
  }

  abstract getUserCode(): string;

  /** Workgroup tree reductions and the row helpers rowOf, rowCount, rowLength (used by ROW_PROLOGUE). */
  protected header(input: string): string {
    return `
      ${workgroupReductions('partial', 'f32', this.WG, { reduceMax: (a, b) => `max(${a}, ${b})`, reduceSum: sum })}
      fn rowOf() -> i32 { return ${WORKGROUP_INDEX}; }
      fn rowCount() -> i32 { return uniforms.${input}Shape.x; }
      fn rowLength() -> i32 { return uniforms.${input}Shape.y; }
    `;
  }
}

/** The first lines of both mains: `row` (may be past the end after folding), the clamped row `r`, its query `i`, `base`. */
const ROW_PROLOGUE = `let row = rowOf();
        let T = rowLength();
        let r = min(row, rowCount() - 1); // every thread of every workgroup reaches each barrier
        let i = r % T;
        let base = r * T;`;

/** y (rows, T) = softmax_j(scale * x[r, j]) over j <= i, 0 for j > i. */
export class CausalSoftmaxProgram extends CausalRowProgram {
  readonly variableNames = ['x'];

  constructor(rows: number, T: number) {
    super('nanometaCausalSoftmax', rows, T);
  }

  getUserCode(): string {
    const { WG, E } = this;
    return `${this.header('x')}
      fn main(index : i32) {
        ${ROW_PROLOGUE}
        var v : array<f32, ${E}>;
        var m = -uniforms.INFINITY;
        for (var e = 0; e < ${E}; e = e + 1) {
          let j = i32(localIndex) + e * ${WG};
          if (j <= i) { v[e] = uniforms.scale * x[base + j]; m = max(m, v[e]); }
        }
        m = reduceMax(m);
        var s = 0.0;
        for (var e = 0; e < ${E}; e = e + 1) {
          let j = i32(localIndex) + e * ${WG};
          if (j <= i) { v[e] = exp(v[e] - m); s = s + v[e]; }
        }
        s = reduceSum(s);
        if (row == r) {
          for (var e = 0; e < ${E}; e = e + 1) {
            let j = i32(localIndex) + e * ${WG};
            if (j < T) { result[base + j] = select(0.0, v[e] / s, j <= i); }
          }
        }
      }
    `;
  }
}

/** dx (rows, T) = scale * y * (dy - sum_j dy*y) per row, from the forward's output y. */
export class CausalSoftmaxGradProgram extends CausalRowProgram {
  readonly variableNames = ['dy', 'y'];

  constructor(rows: number, T: number) {
    super('nanometaCausalSoftmaxGrad', rows, T);
  }

  getUserCode(): string {
    const { WG, E } = this;
    return `${this.header('y')}
      fn main(index : i32) {
        ${ROW_PROLOGUE}
        var yv : array<f32, ${E}>;
        var gv : array<f32, ${E}>;
        var d = 0.0;
        for (var e = 0; e < ${E}; e = e + 1) {
          let j = i32(localIndex) + e * ${WG};
          if (j <= i) { yv[e] = y[base + j]; gv[e] = dy[base + j]; d = d + yv[e] * gv[e]; }
        }
        d = reduceSum(d);
        if (row == r) {
          for (var e = 0; e < ${E}; e = e + 1) {
            let j = i32(localIndex) + e * ${WG};
            if (j < T) { result[base + j] = select(0.0, uniforms.scale * yv[e] * (gv[e] - d), j <= i); }
          }
        }
      }
    `;
  }
}
