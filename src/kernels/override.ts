// Installing one kernel config: a `Nanometa*` kernel is registered; a config named after one of a tfjs backend's own
// kernels (BatchMatMul, Add, Softmax, ...) replaces it, and the backend's kernel is kept as the fallback for the
// cases the replacement leaves to it (other dtypes, general broadcasting, activations, ...).
import * as tf from '@tensorflow/tfjs-core';

const originals = new Map<string, tf.KernelFunc>();
const installed = new Set<string>();
const key = (name: string, backend: string) => `${backend}/${name}`;

/** Registers `config`, replacing the backend's own kernel of that name if it has one; later calls do nothing. */
export function installKernel(config: tf.KernelConfig): void {
  const k = key(config.kernelName, config.backendName);
  if (installed.has(k)) return;
  const own = tf.getKernel(config.kernelName, config.backendName);
  if (own) {
    originals.set(k, own.kernelFunc);
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
  installed.add(k);
}

/** The backend's own kernel that installKernel replaced; null when none was replaced. */
export function originalKernel(name: string, backend: string): tf.KernelFunc | null {
  return originals.get(key(name, backend)) ?? null;
}

/** Runs the backend's own kernel that a replacement falls back to. */
export function runOriginal(
  name: string,
  backend: string,
  args: Parameters<tf.KernelFunc>[0],
): ReturnType<tf.KernelFunc> {
  const original = originalKernel(name, backend);
  if (!original) throw new Error(`${backend} has no kernel ${name} of its own to fall back to`);
  return original(args);
}
