// wasm kernels for NanometaEmbeddingGrad (scatter-add, + the tied head's dres) and NanometaEmbedPositions
// ([weight handed on, weight[idx] + pos[n % T]]): cpu.ts's loops over views of the wasm heap. Also tfjs's own
// UnsortedSegmentSum, which tfjs-backend-wasm lacks: the same scatter-add, so the stock-op reference
// (reference.ts) and tf.gather's gradient run on wasm too.
import type * as tf from '@tensorflow/tfjs-core';
import { f32, fromValues, i32, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { passThrough } from '../pass-through.js';
import { embeddingGradLoop, embedPositionsLoop } from './cpu.js';
import { EMBED_POSITIONS, EMBEDDING_GRAD, type EmbeddingGradAttrs, type EmbedPositionsAttrs } from './index.js';

type Args = Parameters<tf.KernelFunc>[0];

function embeddingGradWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { dy, indices, dres } = inputs as { dy: tf.TensorInfo; indices: tf.TensorInfo; dres?: tf.TensorInfo };
  const { numRows } = attrs as unknown as EmbeddingGradAttrs;
  const C = dy.shape[1];
  const out = embeddingGradLoop(f32(be, dy), i32(be, indices), numRows, C); // (V, C)
  if (dres) {
    const r = f32(be, dres);
    for (let i = 0; i < out.length; i++) out[i] += r[i];
  }
  return fromValues(be, out, [numRows, C]);
}

function embedPositionsWasm({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const be = backend as WasmHeapBackend;
  const { weight, pos, indices } = inputs as { weight: tf.TensorInfo; pos: tf.TensorInfo; indices: tf.TensorInfo };
  const { T } = attrs as unknown as EmbedPositionsAttrs;
  const [V, C] = weight.shape;
  const x = embedPositionsLoop(f32(be, weight), f32(be, pos), i32(be, indices), V, C, T); // (N, C)
  return [passThrough(be, weight), fromValues(be, x, [indices.shape[0], C])];
}

/** tf.unsortedSegmentSum(x (N, ...), segmentIds (N), numSegments) for float32 x. */
function unsortedSegmentSumWasm({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(
      `UnsortedSegmentSum on wasm: segmentIds [${segmentIds.shape}] must be one id per row of x [${x.shape}]`,
    );
  }
  const N = x.shape[0];
  const C = N === 0 ? 0 : f32(be, x).length / N;
  return fromValues(be, embeddingGradLoop(f32(be, x), i32(be, segmentIds), numSegments, C), [
    numSegments,
    ...x.shape.slice(1),
  ]);
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: EMBEDDING_GRAD, backendName: 'wasm', kernelFunc: embeddingGradWasm },
  { kernelName: EMBED_POSITIONS, backendName: 'wasm', kernelFunc: embedPositionsWasm },
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm },
];
