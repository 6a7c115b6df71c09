// The evaluation point of optimizers that train at one point and evaluate at another (Schedule-Free's x,
// DoG's average; Optimizer.evalPoint) in a checkpoint: model.safetensors holds it (so sample.ts and any exporter
// read it), while the training point is saved as `<param>/w` in optimizer.safetensors and restored on --resume,
// so a resumed run continues exactly.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './safetensors.js';
import type { Optimizer, ParamMap } from '../optim/types.js';
import { CheckpointError } from '../util/errors.js';

/** Name of a parameter's training point in the optimizer state. */
export const trainingPointKey = (param: string): string => `${param}/w`;

/**
 * What a checkpoint stores: `model` for model.safetensors (the evaluation point, or the parameters) and the
 * training point to add to the optimizer tensors (empty when it is the same). The caller disposes `owned`.
 */
export function checkpointPoints(
  params: ParamMap,
  optimizer: Optimizer,
): { model: Map<string, tf.Tensor>; training: Map<string, tf.Tensor>; owned: tf.Tensor[] } {
  const point = optimizer.evalPoint?.(params) ?? null;
  if (!point) return { model: params, training: new Map(), owned: [] };
  const training = new Map([...params].map(([name, v]) => [trainingPointKey(name), tf.clone(v) as tf.Tensor]));
  return { model: point, training, owned: [...point.values(), ...training.values()] };
}

/** The training point a checkpoint saved beside its evaluation point (`<param>/w`), or null when it saved none. */
export function savedTrainingPoint(
  params: ParamMap,
  optimizerTensors: Map<string, NamedArray>,
  dir: string,
): Map<string, NamedArray> | null {
  const names = [...params.keys()];
  const found = names.filter((n) => optimizerTensors.has(trainingPointKey(n)));
  if (found.length === 0) return null;
  if (found.length !== names.length)
    throw new CheckpointError(
      `${dir}/optimizer.safetensors holds the training point of ${found.length} of ${names.length} parameters`,
      'the checkpoint is damaged; resume from an intact one',
    );
  return new Map(names.map((n) => [n, optimizerTensors.get(trainingPointKey(n))!]));
}
