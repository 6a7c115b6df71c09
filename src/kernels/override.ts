// Replacing one of a tfjs backend's own kernels by nanometa's, keeping the original as the fallback for
// the cases the replacement leaves to it (other dtypes, general broadcasting, activations, ...).
import * as tf from '@tensorflow/tfjs-core';

const originals = new Map<string, tf.KernelFunc>();
const key = (name: string, backend: string) => `${backend}/${name}`;

/** Registers `kernelFunc` for (name, backend) once that backend has its own; later calls do nothing. */
export function replaceKernel(name: string, backend: string, kernelFunc: tf.KernelFunc): void {
  const current = tf.getKernel(name, backend);
  if (!current || originals.has(key(name, backend))) return;
  originals.set(key(name, backend), current.kernelFunc);
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ kernelName: name, backendName: backend, kernelFunc });
}

/** The backend's own kernel that replaceKernel put aside; null before the replacement. */
export function originalKernel(name: string, backend: string): tf.KernelFunc | null {
  return originals.get(key(name, backend)) ?? null;
}

/** Runs the backend's own kernel (only valid after replaceKernel). */
export function runOriginal(name: string, backend: string, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
  return originalKernel(name, backend)!(args);
}
