// GEMM inner loops not yet measured on a GPU, as subclasses of src's GemmProgram (kernels/matmul/program.ts:
// the vec4 loop, its staging, prologue and epilogue). Each stays here until bench/matmul shows it beating vec4
// on a GPU. 'scalar': one float per workgroup-memory read (call 3's A/B baseline: 129.6 vs vec4's 124.5 ms per
// step at batch 64); 'prefetch': register double-buffering (Boehm's "How to optimize a CUDA matmul kernel",
// CUTLASS's SIMT mainloop); 'deep': 32 of K per staged tile; 'wide': A and B read from global memory as vec4s;
// 'double': prefetch into two workgroup-memory buffers, one barrier per tile; 'unrolled': vec4 with the FMA
// loop and epilogue written out.
import {
  GELU_FNS,
  GemmProgram,
  tileGeometry,
  type GemmAddend,
  type GemmGelu,
  type GemmShape,
  type GemmTile,
} from '../../src/kernels/matmul/program.js';

export type InnerLoop = 'scalar' | 'prefetch' | 'deep' | 'wide' | 'double' | 'unrolled';
export const INNER_LOOPS: readonly InnerLoop[] = ['scalar', 'prefetch', 'deep', 'wide', 'double', 'unrolled'];

/** Whether A and B can be read as vec4s: along each operand's contiguous dimension a multiple of 4 (batch strides follow). */
export function wideEligible(shape: Pick<GemmShape, 'M' | 'N' | 'K'>, transA: boolean, transB: boolean): boolean {
  return (transA ? shape.M : shape.K) % 4 === 0 && (transB ? shape.K : shape.N) % 4 === 0;
}

/** Workgroup memory a tile and loop declare (As and Bs with padded rows): 128x128 'deep' needs 33.8 KB, over the usual 32 KiB. */
export function workgroupBytes(tile: GemmTile, loop: InnerLoop | 'vec4'): number {
  const { m, n } = tileGeometry(tile);
  const pad = loop === 'scalar' ? 1 : 4; // one float, or one vec4, per staged k-row
  return (loop === 'deep' ? 32 : 16) * (m + pad + n + pad) * 4 * (loop === 'double' ? 2 : 1);
}

const VEC4_GELU =
  'fn geluV(v : vec4<f32>) -> vec4<f32> { return vec4<f32>(geluF(v.x), geluF(v.y), geluF(v.z), geluF(v.w)); }';

export class VariantGemmProgram extends GemmProgram {
  constructor(
    readonly loop: InnerLoop,
    shape: GemmShape,
    transA: boolean,
    transB: boolean,
    tile: GemmTile,
    addend: GemmAddend = 'none',
    gelu: GemmGelu = 'none',
  ) {
    super(shape, transA, transB, tile, addend, gelu);
    this.shaderKey += `_${loop}`;
    if (loop === 'wide') {
      if (!wideEligible(shape, transA, transB))
        throw new Error(`VariantGemmProgram: 'wide' needs the operands' contiguous dimensions to be multiples of 4`);
      this.variableComponents = [4, 4, ...this.variableNames.slice(2).map(() => 1)];
    }
  }

  override get bk(): number {
    return this.loop === 'deep' ? 32 : 16;
  }

  protected override get buffers(): number {
    return this.loop === 'double' ? 2 : 1;
  }

  override getUserCode(): string {
    if (this.loop === 'scalar') return this.scalarCode();
    return `${this.loop === 'wide' && this.gelu !== 'none' ? VEC4_GELU : ''}${this.vec4Code()}`;
  }

  /** Stage sizes (vec4s) of one As and one Bs buffer. */
  private get sizes(): [number, number] {
    const { PA, PB } = this.padded;
    return [this.bk * PA, this.bk * PB];
  }

  /** prefetch/double: tile k0 from global memory into the registers ra, rb (zeros outside M, N or [kStart, kEnd)). */
  private fetch(): string {
    return this.perOperand(
      (o, name) => `
              ${o.coords}
              var v = 0.0;
              if (${o.guard}) { v = ${name}[${o.index}]; }
              r${name.toLowerCase()}[l] = v;`,
    );
  }

  /** prefetch/double: the registers into workgroup memory (through GELU when the operand takes it; geluF(0) = 0). */
  private put(): string {
    const { PA, PB } = this.padded;
    const [wA, wB] = this.loop === 'double' ? ['putA + ', 'putB + '] : ['', ''];
    const store = { A: `As[${wA}k * ${PA} + m / 4][m % 4] = v;`, B: `Bs[${wB}k * ${PB} + n / 4][n % 4] = v;` };
    return this.perOperand((o, name) => {
      const r = `r${name.toLowerCase()}[l]`;
      return `
              ${o.local}
              let v = ${o.gelu ? `geluF(${r})` : r};
              ${store[name]}`;
    });
  }

  private registers(): string {
    const a = this.operand('A'),
      b = this.operand('B');
    return `
        var ra : array<f32, ${this.loadsOf(a.size)}>; // this thread's share of the next A tile
        var rb : array<f32, ${this.loadsOf(b.size)}>;`;
  }

  protected override kLoop(): string {
    const [sizeA, sizeB] = this.sizes;
    if (this.loop === 'double')
      return `${this.registers()}
        var k0 = kStart;
        var putA = 0;
        var putB = 0;
        ${this.fetch()}
        ${this.put()}
        workgroupBarrier();
        for (var t = 0; t < tiles; t++) {
          let readA = (t % 2) * ${sizeA};
          let readB = (t % 2) * ${sizeB};
          k0 = kStart + (t + 1) * ${this.bk}; // past kEnd on the last tile: every load guarded out
          ${this.fetch()}`;
    if (this.loop === 'prefetch')
      return `${this.registers()}
        var k0 = kStart;
        ${this.fetch()}
        for (var t = 0; t < tiles; t++) {
          ${this.put()}
          workgroupBarrier();
          k0 = kStart + (t + 1) * ${this.bk}; // past kEnd on the last tile: every load guarded out
          ${this.fetch()}`;
    if (this.loop === 'wide')
      return `
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${this.bk};
          ${this.wideStage()}
          workgroupBarrier();`;
    return super.kLoop();
  }

  /** 'double': the next tile goes into the other buffer after the FMAs; one barrier per tile. */
  protected override afterFmas(): string {
    if (this.loop !== 'double') return '';
    const [sizeA, sizeB] = this.sizes;
    return `
          if (t + 1 < tiles) { // the same for every thread
            putA = ((t + 1) % 2) * ${sizeA};
            putB = ((t + 1) % 2) * ${sizeB};
            ${this.put()}
          }`;
  }

  protected override readOffsets(): [string, string] {
    return this.loop === 'double' ? ['readA + ', 'readB + '] : ['', ''];
  }

  protected override vec4Body(): string {
    return this.loop === 'unrolled' ? this.unrolledBody() : super.vec4Body();
  }

  /**
   * 'wide' staging: each load is a vec4 of the operand's contiguous dimension. Along M (Aᵀ) or N (B) it is
   * stored as one vec4 of the staged row; along K it is spread over four k-rows. With the dimensions multiples
   * of 4 (wideEligible) and kStart, kEnd multiples of 16, a vec4 is wholly inside or wholly outside the bounds.
   */
  private wideStage(): string {
    const { PA, PB } = this.padded;
    const Q = this.bk / 4; // vec4s per staged row along K
    const stage = (which: 'A' | 'B', tile: string, P: number) => {
      const { x, extent, origin, dim, off, kMajor } = this.layout(which);
      const load = (index: string) => (this.gelu === which ? `geluV(${which}[${index}])` : `${which}[${index}]`);
      return kMajor
        ? this.loadRounds(
            (extent / 4) * this.bk,
            `
              let k = e / ${extent / 4}; let ${x}q = e % ${extent / 4}; let g${x} = ${origin} + 4 * ${x}q; let gk = k0 + k;
              var v = vec4<f32>(0.0);
              if (g${x} < uniforms.${dim} && gk < kEnd) { v = ${load(`(${off} + gk * uniforms.${dim} + g${x}) / 4`)}; }
              ${tile}[k * ${P} + ${x}q] = v;`,
          )
        : this.loadRounds(
            extent * Q,
            `
              let ${x} = e / ${Q}; let k = 4 * (e % ${Q}); let g${x} = ${origin} + ${x}; let gk = k0 + k;
              var v = vec4<f32>(0.0);
              if (g${x} < uniforms.${dim} && gk < kEnd) { v = ${load(`(${off} + g${x} * uniforms.K + gk) / 4`)}; }
              for (var j = 0; j < 4; j++) { ${tile}[(k + j) * ${P} + ${x} / 4][${x} % 4] = v[j]; }`,
          );
    };
    return stage('A', 'As', PA) + stage('B', 'Bs', PB);
  }

  /**
   * 'unrolled': vec4's FMA loop and epilogue written out in full (accumulators as named vec4 variables, every
   * workgroup-memory index a constant plus the thread's offset), so no driver has to unroll loops or promote
   * an array to registers.
   */
  private unrolledBody(): string {
    const { g: G, tx: TX, ty: TY } = this.geo;
    const { PA, PB } = this.padded;
    const C = ['x', 'y', 'z', 'w'];
    const accs = Array.from({ length: 4 * G * G }, (_, i) => `acc${i}`);
    const fmas: string[] = [];
    for (let kk = 0; kk < this.bk; kk++) {
      const loads = Array.from(
        { length: G },
        (_, g) => `let a${g} = As[${kk * PA + g * TY} + ty]; let b${g} = Bs[${kk * PB + g * TX} + tx];`,
      );
      const body: string[] = [];
      for (let ig = 0; ig < G; ig++)
        for (let i = 0; i < 4; i++)
          for (let jg = 0; jg < G; jg++) {
            const idx = (ig * 4 + i) * G + jg;
            body.push(`acc${idx} = fma(vec4<f32>(a${ig}.${C[i]}), b${jg}, acc${idx});`);
          }
      fmas.push(`          { ${loads.join(' ')}\n            ${body.join('\n            ')} }`);
    }
    const stores: string[] = [];
    for (let ig = 0; ig < G; ig++)
      for (let i = 0; i < 4; i++) {
        const row: string[] = [];
        for (let jg = 0; jg < G; jg++)
          for (let c = 0; c < 4; c++) {
            row.push(
              `{ let gn = col0 + ${jg * 4 * TX + c} + tx * 4; if (gn < uniforms.N) { let o = cOff + gm * uniforms.N + gn; result[o] = ${this.epilogue(`acc${(ig * 4 + i) * G + jg}.${C[c]}`)}; } }`,
            );
          }
        stores.push(
          `        { let gm = row0 + ${ig * 4 * TY + i} + ty * 4; if (gm < uniforms.M) {\n          ${row.join('\n          ')}\n        } }`,
        );
      }
    return `${accs.map((a) => `var ${a} = vec4<f32>(0.0);`).join(' ')}${this.kLoop()}
${fmas.join('\n')}
          workgroupBarrier();
        }
        let cOff = z * uniforms.M * uniforms.N; // batch entry, or this split's partial C
${stores.join('\n')}`;
  }

  /** 'scalar': one float per workgroup-memory read; thread (tx, ty) owns rows ty + TY·i and columns tx + TX·j. */
  private scalarCode(): string {
    const { m: TM, n: TN, tx: TX, ty: TY } = this.geo;
    const RM = TM / TY,
      RN = TN / TX; // outputs per thread per side
    const PA = TM + 1,
      PB = TN + 1; // padded row of a staged tile: k-major writes land in different banks
    return `${this.usesGelu ? GELU_FNS : ''}
      var<workgroup> As : array<f32, ${this.bk * PA}>;
      var<workgroup> Bs : array<f32, ${this.bk * PB}>;

      fn main() {
        ${this.prologue()}
        var acc : array<array<f32, ${RN}>, ${RM}>;
        for (var i = 0; i < ${RM}; i++) { for (var j = 0; j < ${RN}; j++) { acc[i][j] = 0.0; } }
        var a : array<f32, ${RM}>;
        var b : array<f32, ${RN}>;
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${this.bk};
          ${this.stage(`As[k * ${PA} + m] = v;`, `Bs[k * ${PB} + n] = v;`)}
          workgroupBarrier();
          for (var kk = 0; kk < ${this.bk}; kk++) {
            for (var i = 0; i < ${RM}; i++) { a[i] = As[kk * ${PA} + ty + i * ${TY}]; }
            for (var j = 0; j < ${RN}; j++) { b[j] = Bs[kk * ${PB} + tx + j * ${TX}]; }
            for (var i = 0; i < ${RM}; i++) {
              for (var j = 0; j < ${RN}; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
            }
          }
          workgroupBarrier();
        }
        let cOff = z * uniforms.M * uniforms.N; // batch entry, or this split's partial C
        for (var i = 0; i < ${RM}; i++) {
          let gm = row0 + ty + i * ${TY};
          if (gm < uniforms.M) {
            for (var j = 0; j < ${RN}; j++) {
              let gn = col0 + tx + j * ${TX};
              if (gn < uniforms.N) {
                let o = cOff + gm * uniforms.N + gn;
                result[o] = ${this.epilogue('acc[i][j]')};
              }
            }
          }
        }
      }
    `;
  }
}
