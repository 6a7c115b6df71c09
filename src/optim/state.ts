// Optimizer state tensors: zero-initialised variables and the checked read of a saved state's named tensor.
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError } from '../util/errors.js';
import type { OptimizerState } from './types.js';

/** The named tensor of a saved state, checked against the expected shape (CheckpointError otherwise). */
export function stateTensor(state: OptimizerState, key: string, shape: readonly number[]): tf.Tensor {
  const t = state.tensors.get(key);
  if (!t)
    throw new CheckpointError(
      `optimizer state has no tensor '${key}'`,
      'the checkpoint was written by a different optimizer configuration; resume with the same optimizer section',
    );
  if (!sameShape(t.shape, shape))
    throw new CheckpointError(`optimizer state tensor '${key}' has shape [${t.shape}], expected [${shape}]`);
  if (t.dtype !== 'float32')
    throw new CheckpointError(`optimizer state tensor '${key}' has dtype ${t.dtype}, expected float32`);
  return t;
}

/** A non-trainable float32 zeros variable (the zeros tensor itself is tidied away). */
export function zerosVariable(shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape), false, undefined, 'float32'));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
