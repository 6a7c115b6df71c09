// Shared base for nanometa's WGSL programs run by tfjs's WebGPUBackend.runWebGPUProgram (tfjs-backend-webgpu 4.22).
// tfjs writes the bindings (`result`, one array per input), the shape uniforms and `_start`; a program writes `main`.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** A program over a flat index 0..size-1 of its output: user code defines `fn main(index : i32)`. */
export abstract class FlatProgram implements WebGPUProgram {
  abstract readonly shaderKey: string;
  abstract readonly variableNames: string[];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  /** Adds `uniforms.size` (the output's element count) for bounds checks. */
  readonly size = true;
  uniforms?: string;

  constructor(outputShape: number[], workgroupX = 64, threads = outputShape.reduce((a, b) => a * b, 1)) {
    this.outputShape = outputShape;
    this.workgroupSize = [workgroupX, 1, 1];
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    // tfjs folds x over y when it passes maxComputeWorkgroupsPerDimension; getGlobalIndex() undoes the fold.
    this.dispatch = [Math.max(1, Math.ceil(threads / workgroupX)), 1, 1];
  }

  abstract getUserCode(): string;
}
