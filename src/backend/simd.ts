// nanometa's own WebAssembly SIMD kernels (simd/*.ts, AssemblyScript; `npm run build:simd` writes simd.wasm beside
// this file), instantiated on tfjs-backend-wasm's heap: the module imports the backend's memory, so a kernel takes
// its tensors' heap byte offsets (wasm-heap.ts pointer) and reads and writes them in place, with no copies.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../util/errors.js';
import { heapMemory, type WasmHeapBackend } from './wasm-heap.js';

/** simd/index.ts's exports; pointers are byte offsets into the heap, sizes are element counts. */
export interface SimdKernels {
  attentionScratchBytes(T: number, hs: number): number;
  attentionForward(qkv: number, y: number, B: number, T: number, H: number, hs: number, scratch: number): void;
  attentionBackward(
    qkv: number,
    dy: number,
    dqkv: number,
    B: number,
    T: number,
    H: number,
    hs: number,
    scratch: number,
  ): void;
  gelu(x: number, y: number, n: number): void;
  geluGrad(x: number, dy: number, dx: number, n: number): void;
  rowLogSumExp(x: number, lse: number, n: number, V: number): void;
  crossEntropyGrad(x: number, lse: number, y: number, dx: number, n: number, V: number, scale: number): void;
  /** bias 0: none. C a multiple of 4. */
  layerNorm(x: number, weight: number, bias: number, y: number, N: number, C: number, eps: number): void;
  /** dres and dbias 0: none; scratch 2 C float64. C a multiple of 4. */
  layerNormGrad(
    x: number,
    weight: number,
    dy: number,
    dres: number,
    dx: number,
    dweight: number,
    dbias: number,
    N: number,
    C: number,
    eps: number,
    scratch: number,
  ): void;
  /** scratch C float64. C a multiple of 4. */
  columnSum(x: number, out: number, R: number, C: number, scratch: number): void;
}

export const SIMD_WASM_PATH = fileURLToPath(new URL('./simd.wasm', import.meta.url));

const compiled = new Map<string, WebAssembly.Module | null>();
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/**
 * The compiled module, or null where this WebAssembly engine has no SIMD (the kernels then run their JavaScript
 * loops); a BackendError when simd.wasm is missing (a broken checkout: it is committed).
 */
export function simdModule(file = SIMD_WASM_PATH): WebAssembly.Module | null {
  if (compiled.has(file)) return compiled.get(file)!;
  if (!existsSync(file)) {
    throw new BackendError(
      `nanometa's SIMD kernels ${file} are missing (the file is committed)`,
      'restore it (git checkout -- src/backend/simd.wasm) or rebuild it (npm run build:simd), or use --backend cpu',
    );
  }
  const bytes = readFileSync(file);
  const module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  compiled.set(file, module);
  return module;
}

/**
 * The SIMD kernels running on `backend`'s heap, or null without WebAssembly SIMD or when `lanes`, the size a kernel
 * splits into four float32 lanes (attention's head size, LayerNorm's and the column sum's row length), is not a
 * multiple of 4: callers then run their JavaScript loops.
 */
export function simdKernels(backend: WasmHeapBackend, lanes = 4): SimdKernels | null {
  const module = lanes % 4 === 0 ? simdModule() : null;
  if (module === null) return null;
  const memory = heapMemory(backend);
  let kernels = instances.get(memory);
  if (!kernels) {
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}
