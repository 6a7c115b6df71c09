// tf.memory() helpers: live tensor counts/bytes and, where the backend tells, GPU buffer bytes and peaks.
// Peak tensor bytes come from tf.profile (the engine's own accounting, the same on every backend).
import * as tf from '@tensorflow/tfjs-core';

export interface MemorySnapshot {
  numTensors: number;
  /** Bytes held by live tensors (engine accounting). */
  numBytes: number;
  /** WebGPU only: bytes of GPU buffers the backend has allocated, pooled free buffers included. */
  gpuBytesAllocated?: number;
}

interface WebGPUMemoryInfo extends tf.MemoryInfo {
  numBytesInGPU?: number;
  numBytesAllocatedInGPU?: number;
}

export function memorySnapshot(): MemorySnapshot {
  const info = tf.memory() as WebGPUMemoryInfo;
  const snapshot: MemorySnapshot = { numTensors: info.numTensors, numBytes: info.numBytes };
  if (typeof info.numBytesAllocatedInGPU === 'number') snapshot.gpuBytesAllocated = info.numBytesAllocatedInGPU;
  return snapshot;
}

export interface PeakResult<T> {
  result: T;
  /** Largest number of bytes held by live tensors at any kernel boundary during `fn`. */
  peakBytes: number;
  /** Number of kernels that ran. */
  kernelCount: number;
  /** Each kernel with its time in ms (GPU time on WebGPU with timestamp-query, else 0 there; wall time on cpu). */
  kernels: Array<{ name: string; ms: number; shapes: string }>;
}

/** Runs `fn` under tf.profile and returns its result with the peak tensor bytes seen while it ran. */
export async function measurePeak<T extends tf.TensorContainer>(fn: () => T | Promise<T>): Promise<PeakResult<T>> {
  let result: T | undefined;
  const info = await tf.profile(async () => {
    result = await fn();
    return result;
  });
  const kernels = info.kernels.map((k) => ({
    name: k.name,
    ms: typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0,
    shapes: (k.inputShapes ?? []).map((s) => `[${s ?? ''}]`).join(' '),
  }));
  return { result: result as T, peakBytes: info.peakBytes, kernelCount: info.kernels.length, kernels };
}

export { formatBytes } from '../util/format.js';
