// wasm kernel of NanometaClipNorm: the cpu kernel itself, on the wasm backend seen as a cpu-like one (it reads one
// partial sum per gradient tensor and writes one number). The partial sums come from NanometaTraceDot (optim-step/wasm.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { asCpuLike, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { cpuKernels } from './cpu.js';

export const wasmKernels: tf.KernelConfig[] = cpuKernels.map((k) => ({
  kernelName: k.kernelName,
  backendName: 'wasm',
  kernelFunc: (args) => k.kernelFunc({ ...args, backend: asCpuLike(args.backend as WasmHeapBackend) as never }),
}));
