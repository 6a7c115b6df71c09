// Linear layer ops, torch.nn.functional.linear with an optional residual added in the same GEMM epilogue:
// linear(x) = x W^T + b (+ r) and geluLinear(u) = gelu(u) W^T + b (+ r), the MLP's projection reading GELU's
// output as the GEMM loads u (no GELU dispatch, no (N, 4C) activation). Forward: one kernel (NanometaLinear);
// backward: two products (gelu' in one's epilogue, GELU in the other's loads) and one column sum for the bias;
// the residual's gradient is dy itself. The stock ops (the reference) run where the kernels are missing, and
// everywhere with the `linear` flag set to stock (src/flags.ts).
import * as tf from '@tensorflow/tfjs-core';
import { flag } from '../../flags.js';
import { gelu } from '../gelu/index.js';
import { columnSumReference, linearReference } from './reference.js';

export const LINEAR = 'NanometaLinear';
export const GELU_LINEAR_GRAD = 'NanometaGeluLinearGrad';
export const COLUMN_SUM = 'NanometaColumnSum';

export interface LinearAttrs {
  /** The input goes through GELU (tanh) first: y = gelu(x) W^T + ... (the MLP's projection). */
  geluInput: boolean;
}

type Op = (...tensors: tf.Tensor[]) => tf.Tensor2D;

/** Sum over rows: x (R, C) -> (C); one kernel (a linear layer's bias gradient). */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  if (x.rank !== 2 || x.dtype !== 'float32')
    throw new TypeError(`columnSum: x must be a float32 matrix, got [${x.shape}] ${x.dtype}`);
  if (!tf.getKernel(COLUMN_SUM, tf.getBackend())) return columnSumReference(x);
  return tf.engine().runKernel(COLUMN_SUM, { x }) as tf.Tensor1D;
}

/** The custom-gradient op for one combination of optional inputs (customGrad wants a fixed list of tensors). */
function makeOp(withBias: boolean, withResidual: boolean, geluInput: boolean): Op {
  const attrs: LinearAttrs = { geluInput };
  return tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, weight] = args as tf.Tensor2D[];
    const bias = withBias ? (args[2] as tf.Tensor1D) : undefined;
    const residual = withResidual ? (args[withBias ? 3 : 2] as tf.Tensor2D) : undefined;
    save([x, weight]);
    const inputs: tf.NamedTensorMap = { x, weight };
    if (bias) inputs.bias = bias;
    if (residual) inputs.residual = residual;
    const value = tf.engine().runKernel(LINEAR, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D; // (N, out)
    const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      const grads: tf.Tensor[] = geluInput
        ? (tf.engine().runKernel(GELU_LINEAR_GRAD, { dy, weight: ws, u: xs }) as tf.Tensor[]) // du (N, in), dW (out, in)
        : [tf.matMul(dy, ws), tf.matMul(dy, xs, true, false)]; // dx (N, in), dW (out, in)
      if (withBias) grads.push(columnSum(dy)); // (out)
      if (withResidual) grads.push(tf.clone(dy)); // (N, out): no copy, a new handle on dy's data
      return grads;
    };
    return { value, gradFunc };
  }) as never) as Op;
}

const ops = new Map<string, Op>();

function run(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  residual: tf.Tensor2D | undefined,
  geluInput: boolean,
): tf.Tensor2D {
  const name = geluInput ? 'geluLinear' : 'linear';
  const [N, K] = x.shape;
  const out = weight.shape[0];
  if (
    x.rank !== 2 ||
    weight.rank !== 2 ||
    weight.shape[1] !== K ||
    (bias && (bias.rank !== 1 || bias.shape[0] !== out)) ||
    (residual && (residual.rank !== 2 || residual.shape[0] !== N || residual.shape[1] !== out))
  ) {
    throw new TypeError(
      `${name}: x [${x.shape}], weight [${weight.shape}], bias [${bias?.shape ?? ''}], residual [${residual?.shape ?? ''}] do not fit (N, in), (out, in), (out), (N, out)`,
    );
  }
  if ([x, weight, bias, residual].some((t) => t && t.dtype !== 'float32'))
    throw new TypeError(`${name}: tensors must be float32`);
  const backend = tf.getBackend();
  const kernels = [LINEAR, COLUMN_SUM, ...(geluInput ? [GELU_LINEAR_GRAD] : [])];
  if (flag('linear') === 'stock' || N === 0 || K === 0 || kernels.some((k) => !tf.getKernel(k, backend))) {
    return linearReference(geluInput ? (gelu(x) as tf.Tensor2D) : x, weight, bias, residual);
  }
  const key = `${bias !== undefined}:${residual !== undefined}:${geluInput}`;
  let op = ops.get(key);
  if (!op) ops.set(key, (op = makeOp(bias !== undefined, residual !== undefined, geluInput)));
  return op(x, weight, ...(bias ? [bias] : []), ...(residual ? [residual] : []));
}

/** y = x W^T + bias + residual with PyTorch's (out, in) weight layout; x (N, in), bias (out)?, residual (N, out)? -> (N, out). */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D, residual?: tf.Tensor2D): tf.Tensor2D {
  return run(x, weight, bias, residual, false);
}

/** y = gelu(u) W^T + bias + residual (GELU tanh, as kernels/gelu); u (N, in) -> (N, out). */
export function geluLinear(
  u: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias?: tf.Tensor1D,
  residual?: tf.Tensor2D,
): tf.Tensor2D {
  return run(u, weight, bias, residual, true);
}
