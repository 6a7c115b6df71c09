// WGSL for the fused cross-entropy's kernels: NanometaRowPick (one thread per row) and NanometaCrossEntropyGrad
// (element-wise over n·V, 4 columns per thread when V % 4 = 0; each logit is read once and each gradient written once).
import { FlatProgram } from '../program-base.js';

/** out (n): out[i] = logits[i, labels[i]], 0 for a label outside [0, V); withLse: (lse[i] - that) * scale, the row's loss. */
export class RowPickProgram extends FlatProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];
  readonly uniforms = 'scale : f32, ';

  constructor(
    n: number,
    readonly withLse = false,
  ) {
    super([n], 64);
    this.variableNames = withLse ? ['logits', 'labels', 'lse'] : ['logits', 'labels'];
    this.shaderKey = `nanometaRowPick${withLse ? 'Nll' : ''}`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let V = uniforms.logitsShape.y;
        let t = labels[index];
        var v = 0.0;
        if (t >= 0 && t < V) { v = logits[index * V + t]; }
        result[index] = ${this.withLse ? '(lse[index] - v) * uniforms.scale' : 'v'};
      }
    `;
  }
}

/** dlogits (n, V) = (exp(logits - lse[row]) - (col == labels[row] ? 1 : 0)) * scale. */
export class CrossEntropyGradProgram extends FlatProgram {
  readonly shaderKey: string;
  readonly variableNames = ['logits', 'lse', 'labels'];
  readonly variableComponents: number[];
  readonly outputComponent: number;
  readonly uniforms = 'scale : f32,';

  constructor(
    n: number,
    V: number,
    readonly scale: number,
  ) {
    const width = V % 4 === 0 ? 4 : 1; // a vec4 never straddles two rows
    super([n, V], 64, (n * V) / width);
    this.outputComponent = width;
    this.variableComponents = [width, 1, 1];
    this.shaderKey = `nanometaCrossEntropyGrad${width}`;
  }

  uniformData(): Array<{ type: 'float32'; data: number[] }> {
    return [{ type: 'float32', data: [this.scale] }];
  }

  getUserCode(): string {
    const w = this.outputComponent;
    // Which of this thread's columns is the label: a vec4 compare, or one scalar compare.
    const hit =
      w === 4
        ? 'select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<i32>(0, 1, 2, 3) == vec4<i32>(labels[row] - col))'
        : 'select(0.0, 1.0, labels[row] == col)';
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let V = uniforms.logitsShape.y;
        let e = index * ${w}; // flat element of this thread's first column
        let row = e / V;
        let col = e - row * V;
        result[index] = (exp(logits[index] - lse[row]) - ${hit}) * uniforms.scale;
      }
    `;
  }
}
