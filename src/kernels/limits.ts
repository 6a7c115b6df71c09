// What the active backend can bind in one buffer: WebGPU's maxStorageBufferBindingSize (2 GiB on the
// H200 through Dawn, 128 MiB on Mesa's software adapter); unlimited elsewhere. Chunked ops size to it.
import * as tf from '@tensorflow/tfjs-core';

export function maxBindingBytes(): number {
  if (tf.getBackend() !== 'webgpu') return Infinity;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return device?.limits.maxStorageBufferBindingSize ?? Infinity;
}
