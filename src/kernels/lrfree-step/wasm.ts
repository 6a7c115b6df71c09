// wasm kernel of NanometaLrFreeStep: the cpu kernel itself (cpu.ts), on the wasm backend seen as a cpu-like one.
// readSync copies a tensor off the heap, so an `inPlace` output is written into that copy and then copied back as a
// new tensor: the results are the cpu kernel's, at the cost of one copy in and out per tensor and pass.
import type * as tf from '@tensorflow/tfjs-core';
import { asCpuLike, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { cpuKernels } from './cpu.js';

export const wasmKernels: tf.KernelConfig[] = cpuKernels.map((k) => ({
  kernelName: k.kernelName,
  backendName: 'wasm',
  kernelFunc: (args) => k.kernelFunc({ ...args, backend: asCpuLike(args.backend as WasmHeapBackend) as never }),
}));
