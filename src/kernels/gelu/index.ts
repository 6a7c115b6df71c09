// GELU (tanh approximation) op: forward and backward are one fused kernel each on cpu and WebGPU
// (torch.nn.functional.gelu(x, approximate='tanh')); other backends use the stock-op reference.
import * as tf from '@tensorflow/tfjs-core';
import { geluReference } from './reference.js';

export const GELU = 'NanometaGelu';
export const GELU_GRAD = 'NanometaGeluGrad';

const geluOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  const value = tf.engine().runKernel(GELU, { x }) as tf.Tensor; // same shape as x
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
    tf.engine().runKernel(GELU_GRAD, { x: saved[0], dy }) as tf.Tensor;
  return { value, gradFunc };
}) as never) as (x: tf.Tensor) => tf.Tensor;

/** y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), element-wise; float32 x of any shape. */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') throw new TypeError(`gelu: x must be float32, got ${x.dtype}`);
  const backend = tf.getBackend();
  if (x.size === 0 || !tf.getKernel(GELU, backend) || !tf.getKernel(GELU_GRAD, backend)) return geluReference(x);
  return geluOp(x);
}
