// WebGPU `NanometaOptimStepInPlace`: the whole NmOptimStep of one parameter tensor (attrs.ts) in ONE dispatch,
// writing w, m, v and h in place and, when traced, the tensor's Σ h·g partial sums into a shared buffer at
// an offset. tfjs programs have one fresh output each, so the program version (program.ts) needs one
// dispatch per output plus one for z; this pass goes around that through backend/webgpu-raw.ts. Used only
// when w, m, v, h are exclusive (no other tensor shares their storage), so writing them in place is safe.
import * as tf from '@tensorflow/tfjs-core';
import { FOLDED_WORKGROUP_INDEX, isExclusive, runRawPass, uninitializedTensor, type UniformField } from '../../backend/webgpu-raw.js';
import { sum, workgroupReductions } from '../program-base.js';
import { usesM, usesV, type OptimStepAttrs } from './attrs.js';
import { OPTIM_UNIFORMS, optimUniformData, stepMathWgsl } from './program.js';

export const OPTIM_STEP_IN_PLACE_KERNEL = 'NanometaOptimStepInPlace';

/** Elements per workgroup (256 threads × 16), and so per partial sum. */
export const IN_PLACE_CHUNK = 4096;
const WG = 256;

/** Attrs: NmOptimStep's, plus where this tensor's partial sums start in `partials` (traced only). */
export interface InPlaceAttrs extends OptimStepAttrs {
  partOffset: number;
}

/** The shared output of the partial sums of a whole step (`total` of them), written by the passes before any read. */
export const newPartials = (total: number): tf.Tensor1D => uninitializedTensor([total]) as tf.Tensor1D;

/** Partial sums one traced tensor of `size` elements writes. */
export const inPlaceParts = (size: number): number => Math.max(1, Math.ceil(size / IN_PLACE_CHUNK));

/** Binding order after the uniforms: w, g, then m, v, h, gs, a, partials as present. */
function bindingNames(a: OptimStepAttrs, has: (n: string) => boolean): string[] {
  return ['w', 'g', ...(usesM(a.base) ? ['m'] : []), ...(usesV(a.base) ? ['v'] : []), ...(a.traced ? ['h'] : []),
    ...(has('gs') ? ['gs'] : []), ...(a.alphaIndex >= 0 ? ['a'] : []), ...(a.traced ? ['partials'] : [])];
}

const WRITTEN = new Set(['w', 'm', 'v', 'h', 'partials']);

function wgsl(a: OptimStepAttrs, names: string[]): string {
  const has = (n: string) => names.includes(n);
  const bindings = names.map((n, i) =>
    `@group(0) @binding(${i + 1}) var<storage, ${WRITTEN.has(n) ? 'read_write' : 'read'}> ${n} : array<f32>;`).join('\n');
  const reduce = a.traced ? workgroupReductions('partial', 'f32', WG, { workgroupSum: sum }) : '';
  return `
struct Uniforms { ${OPTIM_UNIFORMS.map((k) => `${k} : f32,`).join(' ')} alphaIndex : i32, n : i32, partOffset : i32, count : i32, };
@group(0) @binding(0) var<uniform> uniforms : Uniforms;
${bindings}
var<private> localIndex : u32;
${reduce}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>, @builtin(local_invocation_index) li : u32) {
  localIndex = li;
  let wgi = ${FOLDED_WORKGROUP_INDEX};
  let alpha = ${has('a') ? 'a[uniforms.alphaIndex]' : 'uniforms.alpha'};
  let carry = ${has('a') ? 'uniforms.gamma * (1.0 - alpha * uniforms.kappa)' : 'uniforms.carry'};
  var s = 0.0;
  if (wgi < uniforms.count) {
    for (var k = 0; k < ${IN_PLACE_CHUNK / WG}; k++) {
      let index = wgi * ${IN_PLACE_CHUNK} + k * ${WG} + i32(li);
      if (index < uniforms.n) {
        let wi = w[index];
        let gi = g[index]${has('gs') ? ' * gs[0]' : ''};
        let mi = ${has('m') ? 'm[index]' : '0.0'};
        let vi = ${has('v') ? 'v[index]' : '0.0'};
        let hi = ${has('h') ? 'h[index]' : '0.0'};${stepMathWgsl(a.base, a.oldMomentum)}
        w[index] = wi - delta;${has('m') ? '\n        m[index] = mNew;' : ''}${has('v') ? '\n        v[index] = vNew;' : ''}${a.traced ? `
        h[index] = carry * hi - delta;
        s = s + hi * gi;` : ''}
      }
    }
  }${a.traced ? `
  let total = workgroupSum(s);
  if (li == 0u && wgi < uniforms.count) { partials[uniforms.partOffset + wgi] = total; }` : ''}
}
`;
}

export const optimStepInPlaceWebGPUKernel: tf.KernelConfig = {
  kernelName: OPTIM_STEP_IN_PLACE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs }: Parameters<tf.KernelFunc>[0]) => {
    const a = attrs as unknown as InPlaceAttrs;
    const names = bindingNames(a, (n) => inputs[n] != null);
    const tensors = names.map((n) => {
      const t = inputs[n];
      if (!t) throw new Error(`${OPTIM_STEP_IN_PLACE_KERNEL}: input ${n} is required for base ${a.base}`);
      if (t.dtype !== 'float32') throw new Error(`${OPTIM_STEP_IN_PLACE_KERNEL}: input ${n} must be float32, got ${t.dtype}`);
      return t;
    });
    const n = tf.util.sizeFromShape(inputs.w!.shape);
    const count = Math.max(1, Math.ceil(n / IN_PLACE_CHUNK));
    const uniforms: UniformField[] = [...optimUniformData(a), { type: 'int32', data: [n] }, { type: 'int32', data: [a.partOffset] }, { type: 'int32', data: [count] }];
    const key = `nanometaOptimInPlace_${a.base}_${a.oldMomentum ? 'old' : 'new'}_${names.join('-')}`;
    const written = names.flatMap((name, i) => (WRITTEN.has(name) ? [i] : []));
    runRawPass({ key, code: () => wgsl(a, names), name: 'NanometaOptimStepInPlace', tensors, written, uniforms, workgroups: count });
    return [];
  }) as unknown as tf.KernelFunc,
};

/** Env NANOMETA_OPTIM=programs keeps the one-program-per-output step (benchmarks, comparisons). */
let enabled = process.env.NANOMETA_OPTIM !== 'programs';

/** Turns the in-place step on or off (tests and benchmarks); returns the previous setting. */
export function setInPlaceStep(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

/** True when this backend has the in-place step and every tensor given may be written in place. */
export function canStepInPlace(tensors: Array<tf.Tensor | undefined>): boolean {
  if (!enabled || !tf.getKernel(OPTIM_STEP_IN_PLACE_KERNEL, tf.getBackend())) return false;
  return tensors.every((t) => t === undefined || isExclusive(t));
}
