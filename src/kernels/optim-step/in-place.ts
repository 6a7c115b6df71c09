// WebGPU `NanometaOptimStepInPlace`: the whole NanometaOptimStep of one parameter tensor (index.ts) in ONE dispatch,
// writing w, m, v and h in place and, when traced, the tensor's Σ h·g partial sums into a shared buffer at
// an offset. tfjs programs have one fresh output each, so the program version (program.ts) needs one
// dispatch per output plus one for z; this pass goes around that through backend/webgpu-raw.ts. Used only
// when w, m, v, h are exclusive (no other tensor shares their storage), so writing them in place is safe.
import * as tf from '@tensorflow/tfjs-core';
import { runRawPass, type RawBinding } from '../../backend/webgpu-raw.js';
import { PARTIAL_CHUNK, partialCount, sum, workgroupReductions } from '../program-base.js';
import { OPTIM_STEP_IN_PLACE_KERNEL, usesM, usesV, type InPlaceAttrs, type OptimStepAttrs } from './index.js';
import { elementStepWgsl, optimUniforms, stepSizeWgsl } from './program.js';

const WG = 256;

/** Bound after the uniforms: w, g, then m, v, h, gs, a, partials as present; the pass writes w, m, v, h, partials. */
function bindingNames(a: OptimStepAttrs, has: (n: string) => boolean): string[] {
  return [
    'w',
    'g',
    ...(usesM(a.base) ? ['m'] : []),
    ...(usesV(a.base) ? ['v'] : []),
    ...(a.traced ? ['h'] : []),
    ...(has('gs') ? ['gs'] : []),
    ...(a.alphaIndex >= 0 ? ['a'] : []),
    ...(a.traced ? ['partials'] : []),
  ];
}

const WRITTEN = new Set(['w', 'm', 'v', 'h', 'partials']);

/** The body of main: PARTIAL_CHUNK elements per workgroup (16 per thread), then the workgroup's Σ h·g. */
function mainWgsl(a: OptimStepAttrs, has: (n: string) => boolean): string {
  return `
  ${stepSizeWgsl(has('a'))}
  var s = 0.0;
  if (wgi < uniforms.count) {
    for (var k = 0; k < ${PARTIAL_CHUNK / WG}; k++) {
      let index = wgi * ${PARTIAL_CHUNK} + k * ${WG} + i32(li);
      if (index < uniforms.n) {${elementStepWgsl(a, has)}
        w[index] = wi - delta;${has('m') ? '\n        m[index] = mNew;' : ''}${has('v') ? '\n        v[index] = vNew;' : ''}${
          a.traced
            ? `
        h[index] = carry * hi - delta;
        s = s + hi * gi;`
            : ''
        }
      }
    }
  }${
    a.traced
      ? `
  let total = workgroupSum(s);
  if (li == 0u && wgi < uniforms.count) { partials[uniforms.partOffset + wgi] = total; }`
      : ''
  }`;
}

export const inPlaceWebGPUKernel: tf.KernelConfig = {
  kernelName: OPTIM_STEP_IN_PLACE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs }: Parameters<tf.KernelFunc>[0]) => {
    const a = attrs as unknown as InPlaceAttrs;
    const names = bindingNames(a, (n) => inputs[n] != null);
    const has = (n: string) => names.includes(n);
    const bindings: RawBinding[] = names.map((name) => {
      const t = inputs[name];
      if (!t) throw new Error(`${OPTIM_STEP_IN_PLACE_KERNEL}: input ${name} is required for base ${a.base}`);
      if (t.dtype !== 'float32')
        throw new Error(`${OPTIM_STEP_IN_PLACE_KERNEL}: input ${name} must be float32, got ${t.dtype}`);
      return { name, tensor: t, write: WRITTEN.has(name) };
    });
    const n = tf.util.sizeFromShape(inputs.w!.shape);
    const count = partialCount(n);
    runRawPass({
      key: `nanometaOptimInPlace_${a.base}_${a.oldMomentum ? 'old' : 'new'}_${names.join('-')}`,
      name: OPTIM_STEP_IN_PLACE_KERNEL,
      bindings,
      workgroupSize: WG,
      workgroups: count,
      uniforms: [
        ...optimUniforms(a),
        { name: 'n', type: 'i32', value: n },
        { name: 'partOffset', type: 'i32', value: a.partOffset },
        { name: 'count', type: 'i32', value: count },
      ],
      helpers: () => (a.traced ? workgroupReductions('partial', 'f32', WG, { workgroupSum: sum }) : ''),
      main: () => mainWgsl(a, has),
    });
    return [];
  }) as unknown as tf.KernelFunc,
};
