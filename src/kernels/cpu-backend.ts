// The few methods of tfjs's cpu backend (MathBackendCPU) that nanometa's own cpu kernels call, typed here
// once so the kernels need not import @tensorflow/tfjs-backend-cpu's internals.
import type * as tf from '@tensorflow/tfjs-core';

export interface CpuLikeBackend {
  readSync(dataId: object): unknown;
  refCount(dataId: object): number;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}
