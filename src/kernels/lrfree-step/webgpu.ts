// WebGPU `NanometaLrFreeStepInPlace`: one learning-rate-free pass (index.ts) over one tensor in ONE dispatch,
// writing its outputs into the inputs' own buffers and its per-workgroup sums into `partials`
// (backend/webgpu-raw.ts; tfjs programs have one output each). Used only when every written tensor is
// exclusive (no other tensor shares its storage) and the caller assigns nothing back (attrs.inPlace).
import * as tf from '@tensorflow/tfjs-core';
import { runRawPass, type RawBinding } from '../../backend/webgpu-raw.js';
import { partialCount } from '../program-base.js';
import { LRFREE_IN_PLACE_KERNEL, type LrFreeAttrs } from './index.js';
import { BINDINGS, helpersWgsl, mainWgsl, WG } from './program.js';

const F32 = ['lr', 'c', 'beta1', 'beta2', 'beta3', 'bc2', 'eps', 'wd', 'avgWeight'] as const;

const lrFreeInPlaceWebGPUKernel: tf.KernelConfig = {
  kernelName: LRFREE_IN_PLACE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs }: Parameters<tf.KernelFunc>[0]) => {
    const a = attrs as unknown as LrFreeAttrs;
    const spec = BINDINGS[a.pass];
    const first = a.pass === 'dog-norms' && inputs.x0 == null;
    const hasGs = inputs.gs != null && spec.read.includes('g'); // a pass without g ignores gs (an unused binding is invalid)
    const names = [
      ...spec.read.filter((n) => !(first && n === 'x0')),
      ...spec.write,
      ...(hasGs ? ['gs'] : []),
      ...(spec.sums ? ['partials'] : []),
    ];
    const bindings: RawBinding[] = names.map((name) => {
      const t = inputs[name];
      if (!t) throw new Error(`${LRFREE_IN_PLACE_KERNEL} ${a.pass}: input ${name} is required`);
      return { name, tensor: t, write: spec.write.includes(name) || name === 'partials' };
    });
    const n = tf.util.sizeFromShape((inputs.w ?? inputs.g ?? inputs.m)!.shape);
    const count = partialCount(n);
    runRawPass({
      key: `nanometaLrFree_${a.pass}_${names.join('-')}`,
      name: LRFREE_IN_PLACE_KERNEL,
      bindings,
      workgroupSize: WG,
      workgroups: count,
      uniforms: [
        ...F32.map((name) => ({ name, type: 'f32' as const, value: a[name] })),
        { name: 'n', type: 'i32', value: n },
        { name: 'count', type: 'i32', value: count },
      ],
      helpers: () => helpersWgsl(a),
      main: () => mainWgsl(a, hasGs, first),
    });
    return [];
  }) as unknown as tf.KernelFunc,
};

export const webgpuKernels: tf.KernelConfig[] = [lrFreeInPlaceWebGPUKernel];
