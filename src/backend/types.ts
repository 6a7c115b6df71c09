// What backend set-up reports back to the caller (the entry script prints it; backend/ prints nothing).

export type BackendName = 'cpu' | 'wasm' | 'webgpu' | 'tensorflow';
export type BackendChoice = 'auto' | BackendName;

export interface BackendInfo {
  /** The tfjs backend now active. */
  name: BackendName;
  /** Human-readable device, e.g. `NVIDIA H100 (vulkan)` or `llvmpipe (Mesa OpenGL, software)`. */
  device: string;
  /** True when the work runs on the CPU: cpu, wasm, tfjs-node without CUDA, a software WebGPU adapter. */
  isSoftware: boolean;
  /** auto only: why this backend was chosen over a faster one (e.g. no GPU found, and why). */
  reason?: string;
  /** auto only: why a preferred backend was passed over (e.g. wasm's missing binary); the entry script prints it. */
  fallback?: string;
}

export interface BackendOptions {
  /** WebGPU only: use the Mesa OpenGL compatibility adapter (also env NANOMETA_WEBGPU_SOFTWARE=1). */
  software?: boolean;
  /** WebGPU only: request timestamp-query so tf.profile has per-kernel GPU times (also env NANOMETA_WEBGPU_PROFILE=1). */
  profile?: boolean;
  /** wasm only: the folder holding tfjs-backend-wasm's .wasm binaries (default: the installed package's dist/). */
  wasmDir?: string;
  /** nanometa's SIMD kernels for the wasm backend; default src/backend/simd.wasm (tests point it elsewhere). */
  simdFile?: string;
}
