// Shared base for nanometa's WGSL programs run by tfjs's WebGPUBackend.runWebGPUProgram (tfjs-backend-webgpu 4.22).
// tfjs writes the bindings (`result`, one array per input), the shape uniforms and `_start`; a program writes `main`.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { uninitializedTensor } from '../backend/webgpu-raw.js';

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

  constructor(outputShape: number[], workgroupX = 64, threads = tf.util.sizeFromShape(outputShape)) {
    this.outputShape = outputShape;
    this.workgroupSize = [workgroupX, 1, 1];
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    // tfjs folds x over y when it passes maxComputeWorkgroupsPerDimension; getGlobalIndex() undoes the fold.
    this.dispatch = [Math.max(1, Math.ceil(threads / workgroupX)), 1, 1];
  }

  abstract getUserCode(): string;
}

/** WGSL expression: this workgroup's flat index (tfjs folds an x dispatch past the per-dimension limit into y and z). */
export const WORKGROUP_INDEX =
  'i32((workgroupId.z * numWorkgroups.y + workgroupId.y) * numWorkgroups.x + workgroupId.x)';

/**
 * WGSL tree reductions over a workgroup of `size` threads sharing one workgroup array `buffer` of `type`:
 * for each entry of `fns`, `fn name(v : type) -> type` combines every thread's v with `combine` and returns
 * the result to all threads. Call them from uniform control flow (they contain barriers). The leading
 * barrier keeps a call's writes from overtaking the previous call's reads of buffer[0] (Mesa's llvmpipe
 * mis-orders them with only a trailing barrier).
 */
export function workgroupReductions(
  buffer: string,
  type: string,
  size: number,
  fns: Record<string, (a: string, b: string) => string>,
): string {
  const reduce = ([name, combine]: [string, (a: string, b: string) => string]) => `
      fn ${name}(v : ${type}) -> ${type} {
        workgroupBarrier();
        ${buffer}[localIndex] = v;
        workgroupBarrier();
        for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
          if (localIndex < s) { ${buffer}[localIndex] = ${combine(`${buffer}[localIndex]`, `${buffer}[localIndex + s]`)}; }
          workgroupBarrier();
        }
        return ${buffer}[0];
      }`;
  return `
      var<workgroup> ${buffer} : array<${type}, ${size}>;${Object.entries(fns).map(reduce).join('')}
    `;
}

/** Addition, for workgroupReductions. */
export const sum = (a: string, b: string): string => `${a} + ${b}`;

/**
 * Elements one 256-thread workgroup sums into one partial sum (16 per thread): the Σ h·g of MetaOptimize and
 * the Σ g² of clipping come as one partial per PARTIAL_CHUNK elements of each tensor.
 */
export const PARTIAL_CHUNK = 4096;

/** Partial sums of a tensor of `size` elements. */
export const partialCount = (size: number): number => Math.max(1, Math.ceil(size / PARTIAL_CHUNK));

/** A 1-D tensor for `total` partial sums that raw passes write (each at its offset) before anything reads them. */
export const newPartials = (total: number): tf.Tensor1D => uninitializedTensor([total]) as tf.Tensor1D;
