// WGSL of gradient clipping's two kernels. SumSquaresPass: Σ x² of up to SUM_SQUARES_TENSORS tensors in one
// raw pass (backend/webgpu-raw.ts), one partial per 4096 elements, written into ONE shared buffer at an
// offset, so a whole model's gradients need ceil(tensors / 7) dispatches and no concat. ClipNormProgram: one
// workgroup sums those partials and writes the global norm √Σ, or the clipping scale min(1, max/(norm+1e-6)).
import { FOLDED_WORKGROUP_INDEX } from '../../backend/webgpu-raw.js';
import { FlatProgram, sum, workgroupReductions } from '../program-base.js';

/** Tensors per raw pass: 7 inputs + the shared partials = 8 storage buffers, WebGPU's guaranteed limit. */
export const SUM_SQUARES_TENSORS = 7;
/** Elements per partial sum (256 threads × 16). */
export const SUM_SQUARES_CHUNK = 4096;
const WG = 256;

export const sumSquaresParts = (size: number): number => Math.max(1, Math.ceil(size / SUM_SQUARES_CHUNK));

/** Uniform fields of a pass: sizes n0..n6, first workgroup of tensors 1..6, the offset into partials, workgroups. */
export function sumSquaresUniforms(sizes: number[], partOffset: number): Array<{ type: 'int32'; data: number[] }> {
  const n = Array.from({ length: SUM_SQUARES_TENSORS }, (_, p) => sizes[p] ?? 0);
  const starts: number[] = [];
  let acc = 0;
  for (let p = 0; p < SUM_SQUARES_TENSORS; p++) {
    starts.push(acc);
    acc += p < sizes.length ? sumSquaresParts(sizes[p]) : 0;
  }
  return [...n, ...starts.slice(1), partOffset, acc].map((v) => ({ type: 'int32' as const, data: [v] }));
}

export function sumSquaresWgsl(count: number): string {
  const fields = [...Array.from({ length: SUM_SQUARES_TENSORS }, (_, p) => `n${p} : i32,`),
    ...Array.from({ length: SUM_SQUARES_TENSORS - 1 }, (_, p) => `start${p + 1} : i32,`), 'partOffset : i32,', 'count : i32,'];
  const bindings = Array.from({ length: count }, (_, p) => `@group(0) @binding(${p + 1}) var<storage, read> x${p} : array<f32>;`);
  const start = (p: number) => (p === 0 ? '0' : `uniforms.start${p}`);
  // tensor p owns workgroups [start(p), start(p+1)); the last one takes the rest
  const branches = Array.from({ length: count }, (_, p) => {
    const body = `{
      let part = wgi - ${start(p)};
      for (var k = 0; k < ${SUM_SQUARES_CHUNK / WG}; k++) {
        let i = part * ${SUM_SQUARES_CHUNK} + k * ${WG} + i32(li);
        if (i < uniforms.n${p}) { let v = x${p}[i]; s = s + v * v; }
      }
    }`;
    return p < count - 1 ? `if (wgi < ${start(p + 1)}) ${body}` : body;
  }).join(' else ');
  return `
struct Uniforms { ${fields.join(' ')} };
@group(0) @binding(0) var<uniform> uniforms : Uniforms;
${bindings.join('\n')}
@group(0) @binding(${count + 1}) var<storage, read_write> partials : array<f32>;
var<private> localIndex : u32;
${workgroupReductions('partial', 'f32', WG, { workgroupSum: sum })}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>, @builtin(local_invocation_index) li : u32) {
  localIndex = li;
  let wgi = ${FOLDED_WORKGROUP_INDEX};
  var s = 0.0;
  if (wgi < uniforms.count) { ${branches} }
  let total = workgroupSum(s);
  if (li == 0u && wgi < uniforms.count) { partials[uniforms.partOffset + wgi] = total; }
}
`;
}

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
