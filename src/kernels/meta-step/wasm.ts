// wasm kernel of NanometaMetaStep: the cpu kernel itself, on the wasm backend seen as a cpu-like one (its inputs
// are a few numbers per block, so readSync's copies cost nothing).
import type * as tf from '@tensorflow/tfjs-core';
import { asCpuLike, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { cpuKernels } from './cpu.js';

export const wasmKernels: tf.KernelConfig[] = cpuKernels.map((k) => ({
  kernelName: k.kernelName,
  backendName: 'wasm',
  kernelFunc: (args) => k.kernelFunc({ ...args, backend: asCpuLike(args.backend as WasmHeapBackend) as never }),
}));
