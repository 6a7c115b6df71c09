// WGSL for NanometaGelu / NanometaGeluGrad: one element-wise dispatch each, 4 elements per thread (vec4) when
// the size allows. tanh and sech^2 go through e = exp(-2|u|), as tfjs's own TANH does, so large |u| stays finite.
import { FlatProgram } from '../program-base.js';

/**
 * Shared WGSL (also the GEMM's gelu prologue and epilogue, kernels/matmul): geluF(v), geluPrime(v), through
 * t = tanh(u) and s = sech^2(u) = 1 - t^2 = 4e / (1 + e)^2 without cancellation near |t| = 1.
 */
export function geluHelpers(type: string): string {
  return `
    const GELU_K = 0.7978845608028654; // sqrt(2 / pi)
    const GELU_A = 0.044715;
    fn geluInner(v : ${type}) -> ${type} { return GELU_K * (v + GELU_A * v * v * v); }
    fn tanhStable(u : ${type}) -> ${type} {
      let e = exp(-2.0 * abs(u));
      return sign(u) * (1.0 - e) / (1.0 + e);
    }
    fn sech2(u : ${type}) -> ${type} {
      let e = exp(-2.0 * abs(u));
      return 4.0 * e / ((1.0 + e) * (1.0 + e));
    }
    fn geluF(v : ${type}) -> ${type} { return 0.5 * v * (1.0 + tanhStable(geluInner(v))); }
    fn geluPrime(v : ${type}) -> ${type} {
      let u = geluInner(v);
      return 0.5 * (1.0 + tanhStable(u)) + 0.5 * v * sech2(u) * GELU_K * (1.0 + 3.0 * GELU_A * v * v);
    }
  `;
}

abstract class GeluBase extends FlatProgram {
  readonly outputComponent: number;
  protected readonly type: string;

  constructor(size: number) {
    const width = size % 4 === 0 ? 4 : 1;
    super([size], 64, size / width);
    this.outputComponent = width;
    this.type = width === 4 ? 'vec4<f32>' : 'f32';
  }
}

/** y (size) = gelu(x), x flattened. */
export class GeluProgram extends GeluBase {
  readonly shaderKey: string;
  readonly variableNames = ['x'];

  constructor(size: number) {
    super(size);
    this.shaderKey = `nanometaGelu${this.outputComponent}`;
  }

  getUserCode(): string {
    return `${geluHelpers(this.type)}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        result[index] = geluF(x[index]);
      }
    `;
  }
}

/** dx (size) = dy * gelu'(x), recomputed from x; x and dy flattened. */
export class GeluGradProgram extends GeluBase {
  readonly shaderKey: string;
  readonly variableNames = ['x', 'dy'];

  constructor(size: number) {
    super(size);
    this.shaderKey = `nanometaGeluGrad${this.outputComponent}`;
  }

  getUserCode(): string {
    return `${geluHelpers(this.type)}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        result[index] = dy[index] * geluPrime(x[index]);
      }
    `;
  }
}
