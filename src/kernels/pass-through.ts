// A second handle on a tensor's data, as tfjs's Identity kernel makes on cpu: the pass-through output of the kernels
// that hand an input on so that it has one consumer (NanometaLayerNormResidual, NanometaEmbedPositions, on every
// backend), and tfjs's
// Identity on wasm, where the backend's own copies the data (customGrad saves every input through it: about 45
// copies a tinystories-tiny step). Sharing is safe because no kernel writes into a tensor it did not just create.
import type * as tf from '@tensorflow/tfjs-core';
import { runOriginal } from './override.js';

export function passThrough(backend: tf.KernelBackend, t: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(t.dataId);
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}

function identityWasm(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  return x.dtype === 'string'
    ? runOriginal('Identity', 'wasm', args)
    : passThrough(args.backend as tf.KernelBackend, x);
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityWasm },
];
