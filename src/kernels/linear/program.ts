// WGSL for NanometaColumnSum: out (G, C) = sums over G groups of rows of x (R, C). A 256-thread workgroup owns
// 8 columns and one group: 32 row lanes each sum every 32nd row (4 independent accumulators; each row's 8
// columns are one 32-byte sector), then a tree over the lanes in workgroup memory. G = 1 is the whole sum in one
// dispatch: C = 288 gives 36 workgroups, 128 rows per lane at R = 4096 (batch 16 x 256 tokens).
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const COLS = 8; // columns per workgroup
const LANES = 32; // row lanes per workgroup

export class ColumnSumProgram implements WebGPUProgram {
  readonly shaderKey = 'nanometaColumnSum';
  readonly variableNames = ['x'];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number] = [COLS * LANES, 1, 1];
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly uniforms = 'rowsPerGroup : i32, ';

  /** x (R, C) summed over groups of rowsPerGroup rows -> (ceil(R / rowsPerGroup), C). */
  constructor(
    R: number,
    C: number,
    readonly rowsPerGroup: number,
  ) {
    const G = Math.ceil(R / rowsPerGroup);
    this.outputShape = [G, C];
    this.dispatch = [Math.ceil(C / COLS), G, 1];
  }

  uniformData(): Array<{ type: 'int32'; data: number[] }> {
    return [{ type: 'int32', data: [this.rowsPerGroup] }];
  }

  getUserCode(): string {
    return `
      var<workgroup> red : array<f32, ${COLS * LANES}>;
      fn main(index : i32) {
        let R = uniforms.xShape.x;
        let C = uniforms.xShape.y;
        let col = i32(localIndex) % ${COLS};
        let lane = i32(localIndex) / ${COLS};
        let c = i32(workgroupId.x) * ${COLS} + col;
        let g = i32(workgroupId.y);
        let r0 = g * uniforms.rowsPerGroup;
        let r1 = min(R, r0 + uniforms.rowsPerGroup);
        var s = vec4<f32>(0.0);
        if (c < C) {
          var r = r0 + lane;
          for (; r + ${3 * LANES} < r1; r = r + ${4 * LANES}) {
            s = s + vec4<f32>(x[r * C + c], x[(r + ${LANES}) * C + c], x[(r + ${2 * LANES}) * C + c], x[(r + ${3 * LANES}) * C + c]);
          }
          for (; r < r1; r = r + ${LANES}) { s.x = s.x + x[r * C + c]; }
        }
        let li = i32(localIndex);
        red[li] = (s.x + s.y) + (s.z + s.w);
        workgroupBarrier();
        for (var h = ${LANES / 2}; h > 0; h = h >> 1u) {
          if (lane < h) { red[li] = red[li] + red[li + h * ${COLS}]; }
          workgroupBarrier();
        }
        if (lane == 0 && c < C) { result[g * C + c] = red[col]; }
      }
    `;
  }
}
