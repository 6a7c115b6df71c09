// A second handle on a tensor's data, as tfjs's Identity kernel makes: the pass-through output of the kernels that
// hand an input on so that it has one consumer (NanometaLayerNormResidual, NanometaEmbedPositions).
import type * as tf from '@tensorflow/tfjs-core';

export function passThrough(backend: tf.KernelBackend, t: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(t.dataId);
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}
