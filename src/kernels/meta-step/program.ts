// WGSL for `NanometaMetaStep` (index.ts): one 256-thread workgroup per block sums that block's partials
// (a strided pass over all of them, keeping those whose seg is the block), then its first thread updates
// the block's row of the state with NanometaOptimStep's per-element math (optim-step/program.ts, stepMathWgsl).
import { usesM, usesV } from '../optim-step/index.js';
import { uniformData, uniformFields, type ShaderUniform } from '../../backend/webgpu-raw.js';
import { optimUniforms, stepMathWgsl } from '../optim-step/program.js';
import { FlatProgram, sum, workgroupReductions, WORKGROUP_INDEX } from '../program-base.js';
import { COL, STATE_COLS, type MetaStepAttrs } from './index.js';

const WG = 256;

export class MetaStepProgram extends FlatProgram {
  readonly shaderKey: string;
  readonly variableNames = ['state', 'partials', 'seg'];
  readonly uniforms: string;
  private readonly uniformList: ShaderUniform[];

  constructor(
    readonly attrs: MetaStepAttrs,
    blocks: number,
    parts: number,
  ) {
    super([blocks, STATE_COLS], WG, blocks * WG);
    this.shaderKey = `nanometaMetaStep_${attrs.moves ? attrs.base : 'fixed'}_${attrs.oldMomentum ? 'old' : 'new'}`;
    this.uniformList = [
      ...optimUniforms(attrs),
      { name: 'parts', type: 'i32', value: parts },
      { name: 't', type: 'f32', value: attrs.t },
    ];
    this.uniforms = uniformFields(this.uniformList);
  }

  uniformData(): ReturnType<typeof uniformData> {
    return uniformData(this.uniformList);
  }

  getUserCode(): string {
    const s = (c: number) => `state[row + ${c}]`;
    // inf and NaN have all exponent bits set; checked on the bits (WGSL has no isNan, and may assume finite math)
    const bad = (x: string) => `((bitcast<u32>(${x}) & 0x7f800000u) == 0x7f800000u)`;
    // a moment the meta optimizer does not use (Lion's v̄, RMSProp's m̄) is passed through unchanged
    const step = this.attrs.moves
      ? stepMathWgsl(this.attrs.base, this.attrs.oldMomentum)
      : `
        let delta = 0.0;`;
    return `
      ${workgroupReductions('partial', 'f32', WG, { workgroupSum: sum })}
      fn main(index : i32) {
        let b = ${WORKGROUP_INDEX};
        var acc = 0.0;
        for (var j = i32(localIndex); j < uniforms.parts; j = j + ${WG}) {
          if (seg[j] == b) { acc = acc + partials[j]; }
        }
        let z = workgroupSum(acc);
        if (localIndex != 0u) { return; }
        let row = b * ${STATE_COLS};
        let alpha = uniforms.alpha;
        let wi = ${s(COL.beta)};
        let gi = z;
        let mi = ${s(COL.m)};
        let vi = ${s(COL.v)};${step}
        let betaNew = wi - delta;
        let alphaOld = ${s(COL.alpha)};
        result[row + ${COL.beta}] = betaNew;
        result[row + ${COL.m}] = ${this.attrs.moves && usesM(this.attrs.base) ? 'mNew' : 'mi'};
        result[row + ${COL.v}] = ${this.attrs.moves && usesV(this.attrs.base) ? 'vNew' : 'vi'};
        result[row + ${COL.alpha}] = select(exp(betaNew), alphaOld, betaNew == wi);
        result[row + ${COL.used}] = alphaOld;
        result[row + ${COL.z}] = z;
        result[row + ${COL.badZ}] = select(${s(COL.badZ)}, uniforms.t, ${s(COL.badZ)} == 0.0 && ${bad('z')});
        result[row + ${COL.badBeta}] = select(${s(COL.badBeta)}, uniforms.t, ${s(COL.badBeta)} == 0.0 && ${bad('betaNew')});
      }
    `;
  }
}
