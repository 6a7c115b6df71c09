// cpu kernel of `NanometaMetaStep` (index.ts): float64 arithmetic on the float32 state, β's update through
// NanometaOptimStep's own cpu loop (optim-step/cpu.ts), so the two can never disagree on the math.
import type * as tf from '@tensorflow/tfjs-core';
import type { CpuLikeBackend } from '../cpu-backend.js';
import { loop } from '../optim-step/cpu.js';
import { COL, META_STEP_KERNEL, STATE_COLS, type MetaStepAttrs } from './index.js';

const EMPTY = new Float32Array(0);

const metaStepCpuKernel: tf.KernelConfig = {
  kernelName: META_STEP_KERNEL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const be = backend as CpuLikeBackend;
    const a = attrs as unknown as MetaStepAttrs;
    const read = (name: string) => be.readSync(inputs[name]!.dataId) as Float32Array | Int32Array;
    const state = read('state') as Float32Array,
      partials = read('partials'),
      seg = read('seg');
    const nb = inputs.state!.shape[0];
    const z = new Float64Array(nb);
    seg.forEach((b, j) => (z[b] += partials[j]));
    const col = (c: number) => Float32Array.from({ length: nb }, (_, b) => state[b * STATE_COLS + c]);
    const beta = col(COL.beta),
      m = col(COL.m),
      v = col(COL.v);
    const zf = Float32Array.from(z);
    const [betaNew, mNew, vNew] = [new Float32Array(beta), new Float32Array(m), new Float32Array(v)];
    if (a.moves) loop({ ...a, traced: false }, nb, beta, zf, m, v, EMPTY, betaNew, mNew, vNew, EMPTY);
    const out = new Float32Array(state);
    for (let b = 0; b < nb; b++) {
      const row = b * STATE_COLS;
      const alpha = state[row + COL.alpha];
      out[row + COL.beta] = betaNew[b];
      out[row + COL.m] = mNew[b];
      out[row + COL.v] = vNew[b];
      out[row + COL.alpha] = betaNew[b] === beta[b] ? alpha : Math.exp(betaNew[b]);
      out[row + COL.used] = alpha;
      out[row + COL.z] = zf[b];
      if (out[row + COL.badZ] === 0 && !Number.isFinite(zf[b])) out[row + COL.badZ] = a.t;
      if (out[row + COL.badBeta] === 0 && !Number.isFinite(betaNew[b])) out[row + COL.badBeta] = a.t;
    }
    return be.makeTensorInfo([nb, STATE_COLS], 'float32', out);
  },
};

export const cpuKernels: tf.KernelConfig[] = [metaStepCpuKernel];
