// Small building blocks of the GPT forward pass, as in nanoGPT's model.py: LayerNorm, Linear, GELU (tanh).
import * as tf from '@tensorflow/tfjs-core';
import { gelu as fusedGelu } from '../kernels/gelu/index.js';
import { layerNorm as fusedLayerNorm } from '../kernels/layernorm/index.js';

const LN_EPS = 1e-5; // torch.nn.LayerNorm default

/** LayerNorm over the last axis; x (..., C). One fused kernel forward and backward (kernels/layernorm). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return fusedLayerNorm(x, weight, bias, LN_EPS);
}

/** y = x W^T + b with PyTorch's (out, in) weight layout; x (N, in) -> (N, out). */
export function linear(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(x, weight as tf.Tensor2D, false, true) as tf.Tensor2D; // (N, out)
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}

/** GELU, tanh approximation (GPT-2; torch gelu(approximate='tanh')); one fused kernel each way (kernels/gelu). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x);
}

export function dropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  return rate > 0 && seed !== undefined ? tf.dropout(x, rate, undefined, seed) : x;
}
