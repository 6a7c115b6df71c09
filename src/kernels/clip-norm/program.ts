// WGSL of gradient clipping's two kernels. SumSquaresPass: Σ x² of up to SUM_SQUARES_TENSORS tensors in one
// raw pass (backend/webgpu-raw.ts), one partial per 4096 elements, written into ONE shared buffer at an
// offset, so a whole model's gradients need ceil(tensors / 7) dispatches and no concat. ClipNormProgram: one
// workgroup sums those partials and writes the global norm √Σ, or the clipping scale min(1, max/(norm+1e-6)).
import type { ShaderUniform } from '../../backend/webgpu-raw.js';
import { FlatProgram, PARTIAL_CHUNK, partialCount, sum, workgroupReductions } from '../program-base.js';

/** Tensors per raw pass: 7 inputs + the shared partials = 8 storage buffers, WebGPU's guaranteed limit. */
export const SUM_SQUARES_TENSORS = 7;
export const SUM_SQUARES_WG = 256;
const WG = SUM_SQUARES_WG;

/**
 * Uniforms of a pass over tensors of `sizes`: n0..n6 (0 past the last), the first workgroup start1..start6 of
 * tensors 1..6, the offset into partials, and the pass's workgroups (`count`).
 */
export function sumSquaresUniforms(sizes: number[], partOffset: number): ShaderUniform[] {
  const n = Array.from({ length: SUM_SQUARES_TENSORS }, (_, p) => sizes[p] ?? 0);
  const starts: number[] = [];
  let acc = 0;
  for (let p = 0; p < SUM_SQUARES_TENSORS; p++) {
    starts.push(acc);
    acc += p < sizes.length ? partialCount(sizes[p]) : 0;
  }
  return [
    ...n.map((value, p) => ({ name: `n${p}`, type: 'i32' as const, value })),
    ...starts.slice(1).map((value, p) => ({ name: `start${p + 1}`, type: 'i32' as const, value })),
    { name: 'partOffset', type: 'i32', value: partOffset },
    { name: 'count', type: 'i32', value: acc },
  ];
}

/** The body of main for `count` tensors x0..: tensor p owns workgroups [start(p), start(p+1)), the last the rest. */
export function sumSquaresMain(count: number): string {
  const start = (p: number) => (p === 0 ? '0' : `uniforms.start${p}`);
  const branches = Array.from({ length: count }, (_, p) => {
    const body = `{
      let part = wgi - ${start(p)};
      for (var k = 0; k < ${PARTIAL_CHUNK / WG}; k++) {
        let i = part * ${PARTIAL_CHUNK} + k * ${WG} + i32(li);
        if (i < uniforms.n${p}) { let v = x${p}[i]; s = s + v * v; }
      }
    }`;
    return p < count - 1 ? `if (wgi < ${start(p + 1)}) ${body}` : body;
  }).join(' else ');
  return `
  var s = 0.0;
  if (wgi < uniforms.count) { ${branches} }
  let total = workgroupSum(s);
  if (li == 0u && wgi < uniforms.count) { partials[uniforms.partOffset + wgi] = total; }`;
}

/** Module-scope WGSL of the pass: the workgroup sum. */
export const sumSquaresHelpers = (): string => workgroupReductions('partial', 'f32', WG, { workgroupSum: sum });

/** √(Σ partials) (maxNorm 0), or min(1, maxNorm / (√(Σ partials) + 1e-6)); a 1-element output. */
export class ClipNormProgram extends FlatProgram {
  readonly variableNames = ['partials'];
  readonly shaderKey: string;
  readonly uniforms = 'parts : i32, maxNorm : f32,';

  constructor(readonly scale: boolean) {
    super([1], WG, WG);
    this.shaderKey = `nanometaClipNorm_${scale ? 'scale' : 'norm'}`;
  }

  getUserCode(): string {
    return `
      ${workgroupReductions('partial', 'f32', WG, { workgroupSum: sum })}
      fn main(index : i32) {
        var s = 0.0;
        for (var j = i32(localIndex); j < uniforms.parts; j = j + ${WG}) { s = s + partials[j]; }
        let norm = sqrt(workgroupSum(s));
        if (localIndex == 0u) { result[0] = ${this.scale ? 'min(1.0, uniforms.maxNorm / (norm + 1e-6))' : 'norm'}; }
      }
    `;
  }
}
