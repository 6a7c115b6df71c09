// WebGPU kernels for NanometaLinear (one GEMM whose epilogue adds the bias row and the residual: the stock path
// is a product, then one Add dispatch each) and NanometaColumnSum (the bias gradient in one dispatch up to
// SINGLE_PASS_ROWS rows, two above; tf.sum over axis 0 is a transpose and a reduction).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { gemmShape, runGemm } from '../matmul/webgpu.js';
import type { GemmAddend } from '../matmul/program.js';
import { COLUMN_SUM, GELU_LINEAR_GRAD, LINEAR, type LinearAttrs } from './index.js';
import { ColumnSumProgram } from './program.js';

/** Up to this many rows one workgroup column sums them all (32 lanes × 128 rows at 4096); above, groups of GROUP_ROWS first. */
const SINGLE_PASS_ROWS = 4096;
const GROUP_ROWS = 1024;

function linearWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, weight, bias, residual } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { geluInput } = attrs as unknown as LinearAttrs;
  const plan = gemmShape(x!, weight!, false, true);
  if (!plan || x!.shape.length !== 2)
    throw new TypeError(`${LINEAR}: x [${x!.shape}] and weight [${weight!.shape}] must be float32 matrices`);
  const addend: GemmAddend = bias && residual ? 'both' : bias ? 'row' : residual ? 'full' : 'none';
  const addends = [residual, bias].filter((t): t is tf.TensorInfo => t !== undefined); // C0 (full) before C1 (row)
  const out = runGemm(
    backend as WebGPUBackend,
    x!,
    weight!,
    plan.shape,
    false,
    true,
    addend,
    addends,
    geluInput ? 'A' : 'none',
  );
  return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' }; // (N, out)
}

/** du = (dy W) ⊙ gelu'(u) with gelu' in the epilogue, dW = dy^T gelu(u) with GELU as u is loaded: two GEMMs. */
function geluLinearGradWebGPU({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const { dy, weight, u } = inputs as Record<string, tf.TensorInfo>;
  const product = (
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    transA: boolean,
    run: (shape: NonNullable<ReturnType<typeof gemmShape>>) => tf.TensorInfo,
  ) => {
    const plan = gemmShape(a, b, transA, false);
    if (!plan)
      throw new TypeError(
        `${GELU_LINEAR_GRAD}: dy [${dy.shape}], weight [${weight.shape}], u [${u.shape}] must be float32 matrices`,
      );
    const out = run(plan);
    return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' as const };
  };
  const du = product(dy, weight, false, (p) => runGemm(gpu, dy, weight, p.shape, false, false, 'geluGrad', [u])); // (N, in)
  const dW = product(dy, u, true, (p) => runGemm(gpu, dy, u, p.shape, true, false, 'none', [], 'B')); // (out, in)
  return [du, dW];
}

function columnSumWebGPU({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const [R, C] = x.shape;
  const run = (t: tf.TensorInfo, rows: number, per: number) => {
    const program = new ColumnSumProgram(rows, C, per);
    return gpu.runWebGPUProgram(program, [t], 'float32', program.uniformData());
  };
  let out: tf.TensorInfo;
  if (R <= SINGLE_PASS_ROWS)
    out = run(x, R, Math.max(R, 1)); // (1, C)
  else {
    const partials = run(x, R, GROUP_ROWS); // (G, C)
    out = run(partials, partials.shape[0], partials.shape[0]); // (1, C)
    gpu.disposeData(partials.dataId);
  }
  return { dataId: out.dataId, shape: [C], dtype: 'float32' };
}

const linearWebGPUConfig: tf.KernelConfig = { kernelName: LINEAR, backendName: 'webgpu', kernelFunc: linearWebGPU };
const geluLinearGradWebGPUConfig: tf.KernelConfig = {
  kernelName: GELU_LINEAR_GRAD,
  backendName: 'webgpu',
  kernelFunc: geluLinearGradWebGPU,
};
const columnSumWebGPUConfig: tf.KernelConfig = {
  kernelName: COLUMN_SUM,
  backendName: 'webgpu',
  kernelFunc: columnSumWebGPU,
};

export const webgpuKernels: tf.KernelConfig[] = [linearWebGPUConfig, geluLinearGradWebGPUConfig, columnSumWebGPUConfig];
