// WGSL for the fused optimizer step `NanometaOptimStep` (math in reference.ts). tfjs programs have one output, so
// w', m', v', h' are one elementwise program each (same inputs, each recomputes the cheap per-element
// math and writes its own output: 3 dispatches per tensor for AdamW instead of ~15 stock ops), and z's
// partial sums Σ h·g are a workgroup reduction. Coefficients are uniforms, so one compiled shader per
// (base, output) serves every step and every step size.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { uniformFields, type ShaderUniform } from '../../backend/webgpu-raw.js';
import { FlatProgram, PARTIAL_CHUNK, partialCount, sum, workgroupReductions } from '../program-base.js';
import { usesM, usesV, type OptimStepAttrs } from './index.js';

export type OptimOutput = 'w' | 'm' | 'v' | 'h';

/** Names of the inputs present, in binding order: w, g, then m, v, h, gs, a as the attrs and inputs say. */
export function optimInputNames(a: OptimStepAttrs, hasGradScale: boolean): string[] {
  const names = ['w', 'g'];
  if (usesM(a.base)) names.push('m');
  if (usesV(a.base)) names.push('v');
  if (a.traced) names.push('h');
  if (hasGradScale) names.push('gs');
  if (a.alphaIndex >= 0) names.push('a');
  return names;
}

/**
 * The attrs as the programs' uniforms: f32 coefficients (carry = γ(1 − ακ), the trace's decay, for a step
 * size given as a number), then the i32 alphaIndex. Shared by the programs here, the in-place pass and the
 * meta step.
 */
export function optimUniforms(a: OptimStepAttrs): ShaderUniform[] {
  const values = { ...a, carry: a.gamma * (1 - a.alpha * a.kappa) };
  const names = [
    'alpha',
    'kappa',
    'decay1',
    'gain1',
    'decay2',
    'gain2',
    'scale1',
    'scale2',
    'epsIn',
    'epsOut',
    'interp',
    'carry',
    'gamma',
  ] as const;
  return [
    ...names.map((name) => ({ name, type: 'f32' as const, value: values[name] })),
    { name: 'alphaIndex', type: 'i32', value: a.alphaIndex },
  ];
}

/** WGSL lines defining `alpha` and `carry` (γ(1 − ακ)): from input `a` at alphaIndex when bound, else the uniforms. */
export function stepSizeWgsl(hasA: boolean): string {
  return hasA
    ? `let alpha = a[uniforms.alphaIndex];
        let carry = uniforms.gamma * (1.0 - alpha * uniforms.kappa);`
    : `let alpha = uniforms.alpha;
        let carry = uniforms.carry;`;
}

/**
 * WGSL lines computing `mNew`, `vNew` and `delta` = α(u + κw) of one element from `wi`, `gi`, `mi`, `vi`
 * and `alpha` (the math in reference.ts), with the coefficients read from `uniforms`. Shared with the
 * MetaOptimize meta step (kernels/meta-step), whose update of β is this same step with g = z and κ = 0.
 */
export function stepMathWgsl(base: OptimStepAttrs['base'], oldMomentum: boolean): string {
  const direction: Record<OptimStepAttrs['base'], string> = {
    adamw: 'uniforms.scale1 * mNew / (sqrt(uniforms.scale2 * vNew + uniforms.epsIn) + uniforms.epsOut)',
    rmsprop: 'gi / (sqrt(uniforms.scale2 * vNew + uniforms.epsIn) + uniforms.epsOut)',
    lion: 'sign(uniforms.interp * mi + (1.0 - uniforms.interp) * gi)',
    sgdm: oldMomentum ? 'mi' : 'mNew',
    sgd: 'gi',
  };
  return `
        let mNew = uniforms.decay1 * mi + uniforms.gain1 * gi;
        let vNew = uniforms.decay2 * vi + uniforms.gain2 * gi * gi;
        let delta = alpha * (${direction[base]} + uniforms.kappa * wi);`;
}

/**
 * WGSL lines loading element `index` of the bound inputs (`wi`, `gi` scaled by gs, `mi`, `vi`, `hi`; 0 for an
 * unbound one) and then stepMathWgsl: the per-element body of the programs here and of the in-place pass.
 */
export function elementStepWgsl(a: OptimStepAttrs, has: (name: string) => boolean): string {
  return `
        let wi = w[index];
        let gi = g[index]${has('gs') ? ' * gs[0]' : ''};
        let mi = ${has('m') ? 'm[index]' : '0.0'};
        let vi = ${has('v') ? 'v[index]' : '0.0'};
        let hi = ${has('h') ? 'h[index]' : '0.0'};${stepMathWgsl(a.base, a.oldMomentum)}`;
}

/** One output of the step, elementwise over the parameter tensor. */
export class OptimStepProgram extends FlatProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];
  readonly uniforms: string;

  constructor(
    readonly attrs: OptimStepAttrs,
    readonly output: OptimOutput,
    shape: number[],
    hasGradScale: boolean,
  ) {
    super(shape, 256);
    this.variableNames = optimInputNames(attrs, hasGradScale);
    this.shaderKey = `nanometaOptim_${attrs.base}_${output}_${attrs.oldMomentum ? 'old' : 'new'}_${hasGradScale ? 'gs' : ''}_${attrs.alphaIndex >= 0 ? 'a' : ''}`;
    this.uniforms = uniformFields(optimUniforms(attrs));
  }

  getUserCode(): string {
    const a = this.attrs;
    const has = (name: string) => this.variableNames.includes(name);
    const value: Record<OptimOutput, string> = {
      w: 'wi - delta',
      m: 'mNew',
      v: 'vNew',
      h: 'carry * hi - delta',
    };
    // Every bound input must be statically used: WebGPU's automatic pipeline layout drops unused bindings,
    // and tfjs binds all of them, which would invalidate the whole command buffer.
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        ${stepSizeWgsl(has('a'))}${elementStepWgsl(a, has)}
        result[index] = ${value[this.output]} + 0.0 * (mi + vNew + hi);
      }
    `;
  }
}

const WG = 256;

/**
 * Σ h·g·gs of up to three (h, g) pairs in one dispatch, one partial per PARTIAL_CHUNK elements: workgroups
 * [0, off1) take pair 0, [off1, off2) pair 1, the rest pair 2, so the output is the pairs' partials in
 * order. MetaOptimize's z of three parameter tensors in one dispatch; with (x, x) and no gs, Σ x² for the
 * gradient norm. The caller sums the partials (a few thousand at most).
 */
export class TraceDotProgram implements WebGPUProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number] = [WG, 1, 1];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly uniforms = 'n0 : i32, n1 : i32, n2 : i32, off1 : i32, off2 : i32,';
  /** Partials per pair. */
  readonly parts: number[];

  constructor(
    readonly sizes: number[],
    readonly hasGradScale: boolean,
  ) {
    this.parts = sizes.map(partialCount);
    const total = this.parts.reduce((a, b) => a + b, 0);
    this.variableNames = sizes.flatMap((_, p) => [`h${p}`, `g${p}`]).concat(hasGradScale ? ['gs'] : []);
    this.outputShape = [total];
    this.dispatch = [total, 1, 1];
    this.shaderKey = `nanometaTraceDot_${sizes.length}_${hasGradScale ? 'gs' : ''}`;
  }

  uniformData(): Array<{ type: 'int32'; data: number[] }> {
    const n = [0, 1, 2].map((p) => this.sizes[p] ?? 0);
    const off1 = this.parts[0],
      off2 = off1 + (this.parts[1] ?? 0);
    return [...n, off1, off2].map((v) => ({ type: 'int32' as const, data: [v] }));
  }

  getUserCode(): string {
    const scale = this.hasGradScale ? ' * gs[0]' : '';
    const offset = (p: number) => (p === 0 ? '0' : `uniforms.off${p}`);
    // pair p: if (w < off(p+1)) { ... } else ... ; the last pair takes the rest
    const branches = this.sizes
      .map((_, p) => {
        const body = `{
          let part = w - ${offset(p)};
          for (var k = 0; k < ${PARTIAL_CHUNK / WG}; k++) {
            let i = part * ${PARTIAL_CHUNK} + k * ${WG} + i32(localIndex);
            if (i < uniforms.n${p}) { s = s + h${p}[i] * (g${p}[i]${scale}); }
          }
        }`;
        return p < this.sizes.length - 1 ? `if (w < ${offset(p + 1)}) ${body}` : body;
      })
      .join(' else ');
    return `
      ${workgroupReductions('partial', 'f32', WG, { workgroupSum: sum })}
      fn main(index : i32) {
        let w = i32(workgroupId.x);
        var s = 0.0;
        ${branches}
        let total = workgroupSum(s);
        if (localIndex == 0u) { result[w] = total; }
      }
    `;
  }
}
