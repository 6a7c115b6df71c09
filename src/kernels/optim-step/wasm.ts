// wasm kernels of NmOptimStep and NanometaTraceDot: cpu.ts's fused loop writing straight into outputs allocated
// on the wasm heap. Never in place: tfjs-wasm caches each XNNPACK operator, with its packed copy of the weights, under
// the weight tensor's id, so a tensor's data must not change while it lives.
import type * as tf from '@tensorflow/tfjs-core';
import { allocate, f32, type WasmHeapBackend } from '../../backend/wasm-heap.js';
import { OPTIM_STEP_KERNEL, TRACE_DOT_KERNEL, usesM, usesV, type OptimStepAttrs } from './index.js';
import { loop } from './cpu.js';

const EMPTY = new Float32Array(0);

function optimStepWasm({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const be = backend as WasmHeapBackend;
  const given = attrs as unknown as OptimStepAttrs;
  for (const name of [
    'w',
    'g',
    ...(usesM(given.base) ? ['m'] : []),
    ...(usesV(given.base) ? ['v'] : []),
    ...(given.traced ? ['h'] : []),
  ]) {
    if (!inputs[name]) throw new Error(`${OPTIM_STEP_KERNEL}: input ${name} is required for base ${given.base}`);
  }
  const shape = inputs.w!.shape;
  const outs = allocate(be, [
    shape,
    ...(usesM(given.base) ? [shape] : []),
    ...(usesV(given.base) ? [shape] : []),
    ...(given.traced ? [shape] : []),
    ...(given.traced && given.zOut ? [[1]] : []),
  ]);
  // views only now: the allocations above may have moved the heap
  const read = (name: string) => f32(be, inputs[name]!);
  const a = given.alphaIndex >= 0 ? { ...given, alpha: read('a')[given.alphaIndex] } : given;
  const gs = inputs.gs ? read('gs')[0] : 1;
  const g = gs === 1 ? read('g') : read('g').map((x) => x * gs); // a scaled copy keeps the loops unchanged
  const views = outs.map((o) => f32(be, o));
  let k = 0;
  const wOut = views[k++];
  const mOut = usesM(a.base) ? views[k++] : EMPTY;
  const vOut = usesV(a.base) ? views[k++] : EMPTY;
  const hOut = a.traced ? views[k++] : EMPTY;
  const z = loop(
    a,
    g.length,
    read('w'),
    g,
    usesM(a.base) ? read('m') : EMPTY,
    usesV(a.base) ? read('v') : EMPTY,
    a.traced ? read('h') : EMPTY,
    wOut,
    mOut,
    vOut,
    hOut,
  );
  if (a.traced && a.zOut) views[k][0] = z;
  return outs;
}

/** One float64 Σ h·g·gs per (h, g) pair, as the cpu kernel. */
function traceDotWasm({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const be = backend as WasmHeapBackend;
  let pairs = 0;
  while (inputs[`h${pairs}`]) pairs++;
  const [out] = allocate(be, [[pairs]]);
  const gs = inputs.gs ? f32(be, inputs.gs)[0] : 1;
  const sums = f32(be, out);
  for (let p = 0; p < pairs; p++) {
    const h = f32(be, inputs[`h${p}`]!);
    const g = f32(be, inputs[`g${p}`]!);
    let s = 0;
    for (let i = 0; i < h.length; i++) s += h[i] * (gs === 1 ? g[i] : Math.fround(g[i] * gs)); // g·gs as NmOptimStep rounds it
    sums[p] = s;
  }
  return out;
}

export const wasmKernels: tf.KernelConfig[] = [
  { kernelName: OPTIM_STEP_KERNEL, backendName: 'wasm', kernelFunc: optimStepWasm },
  { kernelName: TRACE_DOT_KERNEL, backendName: 'wasm', kernelFunc: traceDotWasm },
];
