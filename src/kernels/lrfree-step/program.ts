// WGSL of the learning-rate-free passes (index.ts), run in place as raw passes (webgpu.ts): per element the
// math of cpu.ts, and per workgroup its share of the pass's sums (PARTIAL_CHUNK elements each), written as
// partials[q·count + workgroup] for sum q. Every bound buffer is used: WebGPU's automatic layout drops unused ones.
import { PARTIAL_CHUNK, sum, workgroupReductions } from '../program-base.js';
import type { LrFreeAttrs, LrFreePass } from './reference.js';

export const WG = 256;

/** Bound buffers of each pass (before gs and partials), and which of them the pass writes. */
export const BINDINGS: Record<LrFreePass, { read: string[]; write: string[]; sums: number }> = {
  sf: { read: ['g'], write: ['w', 'z', 'v'], sums: 0 },
  'prodigy-acc': { read: ['g', 'delta', 'coef'], write: ['m', 'v', 's'], sums: 2 },
  'prodigy-apply': { read: ['m', 'v', 'coef'], write: ['w', 'delta'], sums: 0 },
  'dog-norms': { read: ['w', 'g', 'x0'], write: [], sums: 2 },
  'dog-apply': { read: ['g', 'coef'], write: ['w', 'avg'], sums: 0 },
  dadapt: { read: ['g', 'coef'], write: ['w', 'm', 'v', 's'], sums: 2 },
  'mechanic-sums': { read: ['w', 'delta', 'g', 'coef'], write: [], sums: 4 },
  'mechanic-apply': { read: ['prev', 'coef'], write: ['w', 'delta'], sums: 0 },
};

/** The per-element body: reads and writes buffers at `i`, adds to s0..s3; `gv` is g·gs. */
function elementWgsl(a: LrFreeAttrs, hasGs: boolean, first: boolean): string {
  const gv = `g[i]${hasGs ? ' * gs[0]' : ''}`;
  switch (a.pass) {
    case 'sf':
      return `
        let gv = ${gv}; let y = w[i]; let zi = z[i];
        let vi = uniforms.beta2 * v[i] + (1.0 - uniforms.beta2) * gv * gv;
        let u = gv / (sqrt(vi / uniforms.bc2) + uniforms.eps) + uniforms.wd * y;
        w[i] = y + uniforms.c * (zi - y) + uniforms.lr * (uniforms.beta1 * (1.0 - uniforms.c) - 1.0) * u;
        z[i] = zi - uniforms.lr * u;
        v[i] = vi;`;
    case 'prodigy-acc':
      return `
        let gv = ${gv};
        s0 = s0 - gv * delta[i];
        m[i] = uniforms.beta1 * m[i] + coef[0] * gv;
        v[i] = uniforms.beta2 * v[i] + coef[1] * gv * gv;
        let sn = uniforms.beta3 * s[i] + coef[2] * gv;
        s[i] = sn;
        s1 = s1 + abs(sn);`;
    case 'prodigy-apply':
      return `
        let wi = w[i];
        let st = -(wi * (coef[0] * uniforms.wd) + coef[0] * (m[i] / (sqrt(v[i]) + coef[1])));
        w[i] = wi + st;
        delta[i] = delta[i] + st;`;
    case 'dog-norms':
      return `
        let gv = ${gv} + uniforms.wd * w[i];
        s0 = s0 + gv * gv;
        let d = w[i]${first ? '' : ' - x0[i]'};
        s1 = s1 + d * d;`;
    case 'dog-apply':
      return `
        let x = w[i] - (${gv} + uniforms.wd * w[i]) * coef[0];
        w[i] = x;
        if (uniforms.avgWeight == 1.0) { avg[i] = x; } else { avg[i] = avg[i] * (1.0 - uniforms.avgWeight) + x * uniforms.avgWeight; }`;
    case 'dadapt':
      return `
        let gv = ${gv} + uniforms.wd * w[i];
        let so = s[i]; let vo = v[i];
        s0 = s0 + gv * (so / (sqrt(vo) + uniforms.eps));
        let mi = uniforms.beta1 * m[i] + gv * (coef[0] * (1.0 - uniforms.beta1));
        let vi = uniforms.beta2 * vo + (1.0 - uniforms.beta2) * gv * gv;
        let sb2 = sqrt(uniforms.beta2);
        let sn = sb2 * so + gv * (coef[0] * (1.0 - sb2));
        s1 = s1 + abs(sn);
        m[i] = mi; v[i] = vi; s[i] = sn;
        w[i] = w[i] - mi / (sqrt(vi) + uniforms.eps);`;
    case 'mechanic-sums':
      return `
        let gv = ${gv}; let x = w[i]; let d = delta[i] * coef[0];
        s0 = s0 + x * x; s1 = s1 + gv * gv; s2 = s2 + d * gv; s3 = s3 + d * x;`;
    case 'mechanic-apply':
      return `
        let d = delta[i];
        let nx = d * coef[0] + (w[i] - prev[i]);
        delta[i] = nx;
        w[i] = prev[i] + (nx * coef[2] - d * coef[1]);`;
  }
}

export function helpersWgsl(a: LrFreeAttrs): string {
  return BINDINGS[a.pass].sums ? workgroupReductions('partial', 'f32', WG, { workgroupSum: sum }) : '';
}

/** main: PARTIAL_CHUNK elements per workgroup (16 per thread), then the workgroup's sums. */
export function mainWgsl(a: LrFreeAttrs, hasGs: boolean, first: boolean): string {
  const k = BINDINGS[a.pass].sums;
  const writes = Array.from(
    { length: k },
    (_, q) => `
  let t${q} = workgroupSum(s${q});
  if (li == 0u && wgi < uniforms.count) { partials[${q} * uniforms.count + wgi] = t${q}; }`,
  ).join('');
  return `
  var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0;
  if (wgi < uniforms.count) {
    for (var k = 0; k < ${PARTIAL_CHUNK / WG}; k++) {
      let i = wgi * ${PARTIAL_CHUNK} + k * ${WG} + i32(li);
      if (i < uniforms.n) {${elementWgsl(a, hasGs, first)}
      }
    }
  }${writes}`;
}
