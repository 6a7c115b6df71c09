// Small building blocks of the GPT forward pass, as in nanoGPT's model.py: LayerNorm, Linear, GELU (tanh).
import * as tf from '@tensorflow/tfjs-core';
import { gelu as fusedGelu } from '../kernels/gelu/index.js';
import {
  layerNorm as fusedLayerNorm,
  layerNormResidual as fusedLayerNormResidual,
} from '../kernels/layernorm/index.js';
import { geluLinear as fusedGeluLinear, linear as fusedLinear } from '../kernels/linear/index.js';

const LN_EPS = 1e-5; // torch.nn.LayerNorm default

/** LayerNorm over the last axis; x (..., C). One fused kernel forward and backward (kernels/layernorm). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return fusedLayerNorm(x, weight, bias, LN_EPS);
}

/** [x, layerNorm(x)] for the residual stream x (N, C): x's two gradients are summed in the LayerNorm backward kernel. */
export function layerNormResidual(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] {
  return fusedLayerNormResidual(x, weight as tf.Tensor1D, bias as tf.Tensor1D | undefined, LN_EPS);
}

/**
 * y = x W^T + b (+ residual) with PyTorch's (out, in) weight layout; x (N, in), residual (N, out)? -> (N, out).
 * One GEMM with the bias and residual added in its epilogue; the bias gradient is one column sum (kernels/linear).
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor, residual?: tf.Tensor2D): tf.Tensor2D {
  return fusedLinear(x, weight as tf.Tensor2D, bias as tf.Tensor1D | undefined, residual);
}

/** gelu(u) W^T + b (+ residual) in one GEMM that applies GELU as it loads u (kernels/linear); u (N, in) -> (N, out). */
export function geluLinear(u: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor, residual?: tf.Tensor2D): tf.Tensor2D {
  return fusedGeluLinear(u, weight as tf.Tensor2D, bias as tf.Tensor1D | undefined, residual);
}

/** GELU, tanh approximation (GPT-2; torch gelu(approximate='tanh')); one fused kernel each way (kernels/gelu). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x);
}

export function dropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  return rate > 0 && seed !== undefined ? tf.dropout(x, rate, undefined, seed) : x;
}
