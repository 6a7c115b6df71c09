// Typed access to tfjs-backend-wasm's heap for nanometa's wasm kernels: a tensor's data as a typed-array view of
// the heap (no copy) and outputs allocated there. BackendWasm's typedArrayFromHeap and makeOutput are public
// methods; they are typed here once so kernels need not import the package. A view is valid until the next heap
// allocation (the heap may grow and move): allocate a kernel's outputs first, then take views.
import type * as tf from '@tensorflow/tfjs-core';

export interface WasmHeapBackend extends tf.KernelBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * The backend's WebAssembly.Memory, for modules of our own that run on its heap (backend/simd.ts). tfjs-wasm keeps
 * its emscripten module as `backend.wasm` and the module's exports as `wasm.asm` (the non-threaded build exports its
 * memory there); neither is public API, so this is the one place that reads them.
 */
export function heapMemory(backend: WasmHeapBackend): WebAssembly.Memory {
  const memory = (backend as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new TypeError("tfjs-backend-wasm's heap memory is not at backend.wasm.asm.memory (tfjs version changed?)");
  }
  return memory;
}

/** The byte offset of `info`'s data in the heap (stable while the tensor lives, even when the heap grows). */
export function pointer(backend: WasmHeapBackend, info: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(info).byteOffset;
}

/** The float32 data of `info` as a view of the wasm heap. */
export function f32(backend: WasmHeapBackend, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new TypeError(`expected a float32 tensor, got ${info.dtype} [${info.shape}]`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** The int32 data of `info` as a view of the wasm heap. */
export function i32(backend: WasmHeapBackend, info: tf.TensorInfo): Int32Array {
  if (info.dtype !== 'int32') throw new TypeError(`expected an int32 tensor, got ${info.dtype} [${info.shape}]`);
  return backend.typedArrayFromHeap(info) as Int32Array;
}

/** A new float32 tensor on the heap holding a copy of `values` (computed in JavaScript). */
export function fromValues(backend: WasmHeapBackend, values: Float32Array, shape: number[]): tf.TensorInfo {
  return { dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
}

/** New float32 tensors on the heap, one per shape, uninitialised (take views only after this returns). */
export function allocate(backend: WasmHeapBackend, shapes: number[][]): tf.TensorInfo[] {
  return shapes.map((shape) => backend.makeOutput(shape, 'float32'));
}

/**
 * The wasm backend seen through the three methods nanometa's small cpu kernels use (kernels/cpu-backend.ts:
 * readSync, refCount, makeTensorInfo), so kernels that touch a few numbers run unchanged on wasm.
 */
export function asCpuLike(backend: WasmHeapBackend) {
  return {
    readSync: (dataId: object) => backend.readSync(dataId),
    refCount: (dataId: object) => backend.refCount(dataId),
    makeTensorInfo: (shape: number[], _dtype: 'float32', values: Float32Array) => fromValues(backend, values, shape),
  };
}
