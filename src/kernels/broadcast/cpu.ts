// Faster cpu kernels for broadcasting element-wise ops (Add, Sub, Multiply, RealDiv on float32). tfjs's
// cpu backend computes every broadcast element through index arithmetic that allocates arrays
// (binary_impl.js), which made LayerNorm and bias adds cost as much as the matmuls. Here strides of size
// 0 stand for broadcast dimensions and an odometer walks the output; same-shape and scalar cases, which
// tfjs already does well, go to tfjs's own kernels (the reference).
import * as tf from '@tensorflow/tfjs-core';
import { runOriginal } from '../override.js';

type BinaryFn = (a: number, b: number) => number;

const OPS: Record<string, BinaryFn> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Multiply: (a, b) => a * b,
  RealDiv: (a, b) => a / b,
};

/** Output shape of broadcasting a against b (numpy rules), or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const R = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < R; i++) {
    const da = a[a.length - R + i] ?? 1,
      db = b[b.length - R + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(Math.max(da, db));
  }
  return out;
}

/** Strides of `shape` read as `out` (rank-aligned on the right), 0 where the dimension is broadcast. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const R = out.length,
    strides = new Array<number>(R).fill(0);
  let stride = 1;
  for (let i = R - 1; i >= 0; i--) {
    const d = shape[shape.length - R + i] ?? 1;
    strides[i] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

/** out[i] = op(a[ia], b[ib]) over the broadcast shape; the last dimension is the inner loop. */
export function broadcastBinary(
  op: BinaryFn,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  outShape: number[],
): Float32Array {
  const R = outShape.length;
  const size = outShape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(size);
  if (size === 0) return out;
  const sa = broadcastStrides(aShape, outShape),
    sb = broadcastStrides(bShape, outShape);
  const inner = outShape[R - 1],
    ia = sa[R - 1],
    ib = sb[R - 1];
  const counter = new Array<number>(R).fill(0);
  let offA = 0,
    offB = 0;
  for (let o = 0; o < size; o += inner) {
    let pa = offA,
      pb = offB;
    for (let k = 0; k < inner; k++, pa += ia, pb += ib) out[o + k] = op(a[pa], b[pb]);
    for (let d = R - 2; d >= 0; d--) {
      // odometer over the outer dimensions
      counter[d]++;
      offA += sa[d];
      offB += sb[d];
      if (counter[d] < outShape[d]) break;
      offA -= sa[d] * outShape[d];
      offB -= sb[d] * outShape[d];
      counter[d] = 0;
    }
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function makeKernel(name: string): tf.KernelFunc {
  const op = OPS[name];
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const aSize = a.shape.reduce((p, q) => p * q, 1),
      bSize = b.shape.reduce((p, q) => p * q, 1);
    const outShape = broadcastShape(a.shape, b.shape);
    if (
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      !outShape ||
      sameShape(a.shape, b.shape) ||
      aSize === 1 ||
      bSize === 1
    )
      return runOriginal(name, 'cpu', args);
    const backend = args.backend as tf.KernelBackend;
    const out = broadcastBinary(
      op,
      backend.readSync(a.dataId) as Float32Array,
      a.shape,
      backend.readSync(b.dataId) as Float32Array,
      b.shape,
      outShape,
    );
    return { dataId: backend.write(out, outShape, 'float32'), shape: outShape, dtype: 'float32' };
  };
}

/** The broadcasting fast path in front of tfjs's cpu Add, Sub, Multiply and RealDiv. */
export const cpuKernels: tf.KernelConfig[] = Object.keys(OPS).map((name) => ({
  kernelName: name,
  backendName: 'cpu',
  kernelFunc: makeKernel(name),
}));
