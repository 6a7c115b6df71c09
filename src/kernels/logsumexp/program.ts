// WGSL for NanometaRowLogSumExp: one 256-thread workgroup per row reduces the max, then the sum of
// exp(x - max), in workgroup memory; the (n, V) row is read twice and nothing (n, V) is written.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { sum, WORKGROUP_INDEX, workgroupReductions } from '../program-base.js';

const WG = 256;

export class RowLogSumExpProgram implements WebGPUProgram {
  readonly shaderKey = 'nanometaRowLogSumExp';
  readonly variableNames = ['x'];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number] = [WG, 1, 1];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];

  constructor(n: number) {
    this.outputShape = [n];
    this.dispatch = [n, 1, 1]; // one workgroup per row; tfjs folds x into y/z past the per-dimension limit
  }

  getUserCode(): string {
    return `
      ${workgroupReductions('partial', 'f32', WG, { reduceMax: (a, b) => `max(${a}, ${b})`, reduceSum: sum })}
      fn main(index : i32) { // tfjs passes the flat thread index; a row is a whole workgroup here
        let row = ${WORKGROUP_INDEX};
        let n = uniforms.xShape.x;
        let V = uniforms.xShape.y;
        let r = min(row, n - 1); // every thread of every workgroup reaches each barrier
        var m = -uniforms.INFINITY;
        for (var j = i32(localIndex); j < V; j = j + ${WG}) { m = max(m, x[r * V + j]); }
        m = reduceMax(m);
        var s = 0.0;
        if (abs(m) < uniforms.INFINITY) {
          for (var j = i32(localIndex); j < V; j = j + ${WG}) { s = s + exp(x[r * V + j] - m); }
        }
        s = reduceSum(s);
        if (localIndex == 0u && row < n) {
          if (abs(m) < uniforms.INFINITY) { result[row] = m + log(s); } else { result[row] = m; }
        }
      }
    `;
  }
}
