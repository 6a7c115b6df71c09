// WGSL for nanometa's WebGPU BatchMatMul (C = op(A)·op(B), fp32): the classic shared-memory tiled SGEMM
// (as in llm.c's / CUTLASS's SIMT kernels). A workgroup owns an m×n block of C (GemmTile: 128x128, 128x96,
// 96x128, 96x96, 64x64); each thread accumulates 8×8 outputs (4×4 for 64x64) in registers over K, staged
// through workgroup memory 16 (or 32) of K at a time, in blocks spaced so that workgroup-memory reads are
// conflict-free and the final stores coalesced. Transposes only change how tiles are loaded. The inner-loop
// variants ('prefetch': register double-buffering, as in Boehm's "How to optimize a CUDA matmul kernel" and
// CUTLASS's SIMT mainloop; 'deep'; 'wide') and planGemm's tile and K split are compared on the GPU by
// bench/matmul.ts and chosen per product by tune.ts.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { geluHelpers } from '../gelu/program.js';

/**
 * The block of C one workgroup computes, rows × columns. Each thread owns G×G blocks of 4×4 outputs (G = 2:
 * 8×8 per thread; G = 1 for 64x64: 4×4), so the workgroup is (n / 4G) × (m / 4G) threads. 128x128 (256 threads)
 * for big products; 128x96 / 96x128 (192 threads) when a side is 288 = 3 × 96, the model width of
 * tinystories-15m, which 128-tiles cover with a quarter of the last tile's work thrown away; 96x96 for both;
 * 64x64 for small products.
 */
export const GEMM_TILES = ['64x64', '128x128', '128x96', '96x128', '96x96'] as const;
export type GemmTile = (typeof GEMM_TILES)[number];

/** K depth of one staged tile. */
const stagedDepth = (variant: GemmVariant) => (variant === 'deep' ? 32 : BK);

/**
 * Workgroup memory a tile and inner loop declare (As and Bs with padded rows), to check against the device's
 * maxComputeWorkgroupStorageSize: 128x128 'deep' needs 33.8 KB, more than the usual 32 KiB.
 */
export function gemmWorkgroupBytes(tile: GemmTile, variant: GemmVariant): number {
  const { m, n } = tileGeometry(tile);
  const pad = variant === 'scalar' ? 1 : 4; // one float, or one vec4, per staged k-row
  return stagedDepth(variant) * (m + pad + n + pad) * 4 * (variant === 'double' ? 2 : 1);
}

/** A tile's rows and columns of C, 4×4 blocks per thread per side, and threads along columns (x) and rows (y). */
export function tileGeometry(tile: GemmTile): { m: number; n: number; g: number; tx: number; ty: number } {
  const [m, n] = tile.split('x').map(Number);
  const g = tile === '64x64' ? 1 : 2;
  return { m, n, g, tx: n / (4 * g), ty: m / (4 * g) };
}

const BK = 16; // K depth of one staged tile ('deep': 32)

export interface GemmShape {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** Elements between consecutive batch entries of A and B (0: one matrix shared by every batch entry). */
  strideA: number;
  strideB: number;
  /**
   * Split-K (batch 1 only): workgroups along z each take kPer of K and write their own partial C into a
   * (splitK, M, N) output that SplitKReduceProgram sums. 1 = no split. For small C with a long K (the LM
   * head's dh = P·W: 4096×288 over K = 50304; the weight gradients: 288×1152 over K = tokens).
   */
  splitK: number;
}

/**
 * Inner-loop layout. 'vec4': thread (tx, ty) owns 4-row × 4-column blocks at 64-element strides and reads
 * them from workgroup memory as vec4s (4× fewer shared-memory loads per FMA); 'scalar': rows ty + 16i and
 * columns tx + 16j, one float per load; 'prefetch': vec4 with register double-buffering: each thread loads
 * its share of tile t+1 from global memory into registers before the FMAs on tile t, and stores them into
 * workgroup memory after the barrier, so global-memory latency overlaps the arithmetic.
 * 'deep': vec4 staging 32 of K per tile instead of 16 (half the barriers and loop overhead per FMA, twice the
 * workgroup memory). 'wide': vec4 with A and B read from global memory as vec4s (a quarter of the loads and
 * their index arithmetic; the dimension each operand is contiguous along must be a multiple of 4, see
 * wideEligible). 'double': prefetch with two workgroup-memory buffers, the next tile stored into the other
 * one after the FMAs, so one barrier per tile instead of two (CUTLASS's SIMT mainloop; twice the workgroup
 * memory: not 128x128). 'unrolled': vec4 with the FMA loop and epilogue written out (unrolledBody).
 * NANOMETA_GEMM=scalar|prefetch|deep|wide|double|unrolled selects the others (default vec4).
 */
export type GemmVariant = 'vec4' | 'scalar' | 'prefetch' | 'deep' | 'wide' | 'double' | 'unrolled';

export const GEMM_VARIANTS: readonly GemmVariant[] = ['vec4', 'scalar', 'prefetch', 'deep', 'wide', 'double', 'unrolled'];

/** Whether A and B can be read as vec4s: along each operand's contiguous dimension a multiple of 4 (batch strides follow). */
export function wideEligible(shape: Pick<GemmShape, 'M' | 'N' | 'K'>, transA: boolean, transB: boolean): boolean {
  return (transA ? shape.M : shape.K) % 4 === 0 && (transB ? shape.K : shape.N) % 4 === 0;
}

/**
 * What the epilogue adds to A·B: nothing, a tensor of C's own shape (accumulation, a residual), a bias row (N),
 * or both (C0 of C's shape and C1 a row: a linear layer's bias and the residual stream, kernels/linear);
 * 'geluGrad' multiplies instead, by gelu'(C0) (see GemmGelu).
 */
export type GemmAddend = 'none' | 'full' | 'row' | 'both' | 'geluGrad';

/**
 * Which operand goes through GELU as it is loaded (kernels/linear's geluLinear: the MLP's projection reads
 * gelu(u) without a GELU dispatch or an (N, 4C) activation): none, A or B. The epilogue 'geluGrad' is the
 * matching backward: C = (A·B) ⊙ gelu'(C0), C0 of C's shape.
 */
export type GemmGelu = 'none' | 'A' | 'B';

/** The addend bindings: C0 (full or row; u for geluGrad), C1 (row, with 'both'). */
function addendNames(addend: GemmAddend): string[] {
  return addend === 'none' ? [] : addend === 'both' ? ['C0', 'C1'] : ['C0'];
}

/** WGSL: geluF(v), geluPrime(v) (kernels/gelu's) and geluV, geluF of a vec4 ('wide' loads), for the prologue and epilogue. */
const GELU_FNS = `${geluHelpers('f32')}
    fn geluV(v : vec4<f32>) -> vec4<f32> { return vec4<f32>(geluF(v.x), geluF(v.y), geluF(v.z), geluF(v.w)); }
`;
const usesGelu = (addend: GemmAddend, gelu: GemmGelu) => addend === 'geluGrad' || gelu !== 'none';

export class GemmProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly workgroupSize: [number, number, number];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] }; // not flat: main() takes no index
  readonly dispatch: [number, number, number];
  readonly uniforms = 'M : i32, N : i32, K : i32, strideA : i32, strideB : i32, kPer : i32,';
  /** 'wide': A and B bound as array<vec4<f32>>, the addends as floats. */
  readonly variableComponents?: number[];

  constructor(readonly shape: GemmShape, readonly transA: boolean, readonly transB: boolean, readonly tile: GemmTile,
    readonly addend: GemmAddend = 'none', readonly variant: GemmVariant = 'vec4', readonly gelu: GemmGelu = 'none') {
    if (shape.splitK > 1 && (shape.batch !== 1 || addend !== 'none')) throw new Error('GemmProgram: split-K needs batch 1 and no addend');
    this.variableNames = ['A', 'B', ...addendNames(addend)];
    if (variant === 'wide') {
      if (!wideEligible(shape, transA, transB)) throw new Error(`GemmProgram: 'wide' needs the operands' contiguous dimensions to be multiples of 4`);
      this.variableComponents = [4, 4, ...addendNames(addend).map(() => 1)];
    }
    const z = shape.splitK > 1 ? shape.splitK : shape.batch;
    this.outputShape = [z, shape.M, shape.N];
    this.shaderKey = `nanometaGemm_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${tile}_${addend}_${shape.splitK > 1 ? 'split' : ''}_${variant}_${gelu}`;
    this.geo = tileGeometry(tile);
    this.workgroupSize = [this.geo.tx, this.geo.ty, 1];
    this.dispatch = [Math.ceil(shape.N / this.geo.n), Math.ceil(shape.M / this.geo.m), z];
  }

  private readonly geo: ReturnType<typeof tileGeometry>;

  private get threads(): number {
    return this.geo.tx * this.geo.ty;
  }

  /** K depth of one staged tile: 32 for 'deep', else 16. */
  get bk(): number {
    return stagedDepth(this.variant);
  }

  /** K per split, a multiple of the staged depth. */
  get kPer(): number {
    return Math.ceil(this.shape.K / this.shape.splitK / this.bk) * this.bk;
  }

  uniformData(): Array<{ type: 'int32'; data: number[] }> {
    const { M, N, K, strideA, strideB } = this.shape;
    return [M, N, K, strideA, strideB, this.kPer].map((v) => ({ type: 'int32' as const, data: [v] }));
  }

  /**
   * How an operand is laid out: its tile-local coordinate `x` (m or n), tile extent, global origin and extent,
   * binding offset, and whether it is stored k-major (Aᵀ, or B: contiguous along M or N) or x-major (along K).
   */
  private layout(which: 'A' | 'B') {
    return which === 'A'
      ? { x: 'm', extent: this.geo.m, origin: 'row0', dim: 'M', off: 'aOff', kMajor: this.transA }
      : { x: 'n', extent: this.geo.n, origin: 'col0', dim: 'N', off: 'bOff', kMajor: !this.transB };
  }

  /** One operand's staging: element e's tile-local (m|n, k) and global (gm|gn, gk) coordinates, bounds guard, index. */
  private operand(which: 'A' | 'B'): { local: string; coords: string; guard: string; index: string; gelu: boolean; size: number } {
    const { x, extent, origin, dim, off, kMajor } = this.layout(which);
    const local = kMajor ? `let k = e / ${extent}; let ${x} = e % ${extent};` : `let ${x} = e / ${this.bk}; let k = e % ${this.bk};`;
    return {
      local,
      coords: `${local} let g${x} = ${origin} + ${x}; let gk = k0 + k;`,
      guard: `g${x} < uniforms.${dim} && gk < kEnd`,
      index: kMajor ? `${off} + gk * uniforms.${dim} + g${x}` : `${off} + g${x} * uniforms.K + gk`,
      gelu: this.gelu === which,
      size: extent * this.bk,
    };
  }

  /** Staging loads per thread for one operand's tile (the last round guarded when threads do not divide it). */
  private loadsOf(size: number): number {
    return Math.ceil(size / this.threads);
  }

  /** WGSL: `body` for elements e = tid + l·threads of a staged tile of `size`, l < loads; `e < size` only when threads do not divide it. */
  private loadRounds(size: number, body: string): string {
    const loads = this.loadsOf(size);
    const ragged = loads * this.threads !== size;
    return `
          for (var l = 0; l < ${loads}; l++) {
            let e = tid + l * ${this.threads};${ragged ? `
            if (e < ${size}) {` : ''}
            {${body}
            }${ragged ? `
            }` : ''}
          }`;
  }

  /**
   * The WGSL every variant shares: the split/batch prologue; `stage`, which loads tile k0 straight into
   * workgroup memory (vec4, scalar); and prefetch's two halves: `fetch` (tile k0 from global memory into the
   * registers ra, rb; zeros outside M, N or [kStart, kEnd), so fetching past the last tile reads nothing) and
   * `put` (the registers into workgroup memory, through GELU when the operand takes it).
   */
  private parts(storeA: string, storeB: string): { prologue: string; stage: string; fetch: string; put: string; loadsA: number; loadsB: number } {
    const split = this.shape.splitK > 1;
    const prologue = `
        let z = i32(workgroupId.z);
        let batch = ${split ? '0' : 'z'};
        let kStart = ${split ? 'z * uniforms.kPer' : '0'};
        let kEnd = ${split ? 'min(uniforms.K, kStart + uniforms.kPer)' : 'uniforms.K'};
        let row0 = i32(workgroupId.y) * ${this.geo.m};
        let col0 = i32(workgroupId.x) * ${this.geo.n};
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * ${this.geo.tx} + tx;
        let aOff = batch * uniforms.strideA;
        let bOff = batch * uniforms.strideB;
        let tiles = ${split ? `uniforms.kPer / ${this.bk}` : `(uniforms.K + ${this.bk - 1}) / ${this.bk}`}; // uniform trip count: barriers inside`;
    const a = this.operand('A'), b = this.operand('B');
    const read = (o: typeof a, name: string) => (o.gelu ? `geluF(${name}[${o.index}])` : `${name}[${o.index}]`);
    const perLoad = (o: typeof a, body: string) => this.loadRounds(o.size, body);
    const stage = perLoad(a, `
              ${a.coords}
              var v = 0.0;
              if (${a.guard}) { v = ${read(a, 'A')}; }
              ${storeA}`) + perLoad(b, `
              ${b.coords}
              var v = 0.0;
              if (${b.guard}) { v = ${read(b, 'B')}; }
              ${storeB}`);
    const fetch = perLoad(a, `
              ${a.coords}
              var v = 0.0;
              if (${a.guard}) { v = A[${a.index}]; }
              ra[l] = v;`) + perLoad(b, `
              ${b.coords}
              var v = 0.0;
              if (${b.guard}) { v = B[${b.index}]; }
              rb[l] = v;`);
    // geluF(0) = 0, so the zero padding stays zero through GELU.
    const put = perLoad(a, `
              ${a.local}
              let v = ${a.gelu ? 'geluF(ra[l])' : 'ra[l]'};
              ${storeA}`) + perLoad(b, `
              ${b.local}
              let v = ${b.gelu ? 'geluF(rb[l])' : 'rb[l]'};
              ${storeB}`);
    return { prologue, stage, fetch, put, loadsA: this.loadsOf(a.size), loadsB: this.loadsOf(b.size) };
  }

  private epilogue(value: string): string {
    if (this.addend === 'geluGrad') return `${value} * geluPrime(C0[o])`;
    const add = { none: '', full: ' + C0[o]', row: ' + C0[gn]', both: ' + C0[o] + C1[gn]' }[this.addend];
    return `${value}${add}`;
  }

  getUserCode(): string {
    return this.variant === 'scalar' ? this.scalarCode() : this.vec4Code(this.variant === 'prefetch'); // 'deep', 'wide', 'double': vec4 and more
  }

  /**
   * The vec4 inner loop: thread (tx, ty) owns G×G blocks of 4 rows × 4 columns, rows ig·4TY + 4ty + i and
   * columns jg·4TX + 4tx + c, read from workgroup memory as vec4s. With `prefetch`, the main loop is: registers →
   * workgroup memory, barrier, fetch of tile t+1 into registers (not waited for until the next iteration's put),
   * FMAs on tile t, barrier.
   */
  private vec4Code(prefetch: boolean): string {
    const { m: TM, n: TN, g: G, tx: TX, ty: TY } = this.geo;
    const PA = TM / 4 + 1, PB = TN / 4 + 1; // vec4s per staged k-row, padded so k-major writes spread over banks
    const dbl = this.variant === 'double';
    // 'double' writes and reads one of two buffers: offsets putA/putB and readA/readB (vec4s) into As/Bs.
    const [wA, wB, rA, rB] = dbl ? ['putA + ', 'putB + ', 'readA + ', 'readB + '] : ['', '', '', ''];
    const { prologue, stage: scalarStage, fetch, put, loadsA, loadsB } = this.parts(`As[${wA}k * ${PA} + m / 4][m % 4] = v;`, `Bs[${wB}k * ${PB} + n / 4][n % 4] = v;`);
    const stage = this.variant === 'wide' ? this.wideStage(PA, PB) : scalarStage;
    const registers = `
        var ra : array<f32, ${loadsA}>; // this thread's share of the next A tile
        var rb : array<f32, ${loadsB}>;`;
    const [sizeA, sizeB] = [this.bk * PA, this.bk * PB];
    const loop = dbl ? `${registers}
        var k0 = kStart;
        var putA = 0;
        var putB = 0;
        ${fetch}
        ${put}
        workgroupBarrier();
        for (var t = 0; t < tiles; t++) {
          let readA = (t % 2) * ${sizeA};
          let readB = (t % 2) * ${sizeB};
          k0 = kStart + (t + 1) * ${this.bk}; // past kEnd on the last tile: every load guarded out
          ${fetch}` : prefetch ? `${registers}
        var k0 = kStart;
        ${fetch}
        for (var t = 0; t < tiles; t++) {
          ${put}
          workgroupBarrier();
          k0 = kStart + (t + 1) * ${this.bk}; // past kEnd on the last tile: every load guarded out
          ${fetch}` : `
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${this.bk};
          ${stage}
          workgroupBarrier();`;
    // 'double': the next tile goes into the other buffer after the FMAs; one barrier per tile.
    const tail = dbl ? `
          if (t + 1 < tiles) { // the same for every thread
            putA = ((t + 1) % 2) * ${sizeA};
            putB = ((t + 1) % 2) * ${sizeB};
            ${put}
          }` : '';
    return `${usesGelu(this.addend, this.gelu) ? GELU_FNS : ''}
      var<workgroup> As : array<vec4<f32>, ${sizeA * (dbl ? 2 : 1)}>;
      var<workgroup> Bs : array<vec4<f32>, ${sizeB * (dbl ? 2 : 1)}>;

      fn main() {
        ${prologue}
        ${this.variant === 'unrolled' ? this.unrolledBody(loop, PA, PB) : `var acc : array<vec4<f32>, ${4 * G * G}>; // row ig*${4 * TY} + ty*4 + i, columns jg*${4 * TX} + tx*4 + (0..3)
        for (var i = 0; i < ${4 * G * G}; i++) { acc[i] = vec4<f32>(0.0); }${loop}
          for (var kk = 0; kk < ${this.bk}; kk++) {
            var av : array<vec4<f32>, ${G}>;
            var bv : array<vec4<f32>, ${G}>;
            for (var g = 0; g < ${G}; g++) {
              av[g] = As[${rA}kk * ${PA} + g * ${TY} + ty];
              bv[g] = Bs[${rB}kk * ${PB} + g * ${TX} + tx];
            }
            for (var ig = 0; ig < ${G}; ig++) {
              for (var i = 0; i < 4; i++) {
                let a = vec4<f32>(av[ig][i]);
                for (var jg = 0; jg < ${G}; jg++) {
                  let idx = (ig * 4 + i) * ${G} + jg;
                  acc[idx] = fma(a, bv[jg], acc[idx]);
                }
              }
            }
          }${tail}
          workgroupBarrier();
        }
        let cOff = z * uniforms.M * uniforms.N; // batch entry, or this split's partial C
        for (var ig = 0; ig < ${G}; ig++) {
          for (var i = 0; i < 4; i++) {
            let gm = row0 + ig * ${4 * TY} + ty * 4 + i;
            if (gm < uniforms.M) {
              for (var jg = 0; jg < ${G}; jg++) {
                let v4 = acc[(ig * 4 + i) * ${G} + jg];
                for (var c = 0; c < 4; c++) {
                  let gn = col0 + jg * ${4 * TX} + tx * 4 + c;
                  if (gn < uniforms.N) {
                    let o = cOff + gm * uniforms.N + gn;
                    result[o] = ${this.epilogue('v4[c]')};
                  }
                }
              }
            }
          }
        }`}
      }
    `;
  }

  /**
   * 'unrolled': vec4's FMA loop and epilogue written out in full (accumulators as named vec4 variables, every
   * workgroup-memory index a constant plus the thread's offset), so no driver has to unroll loops or promote
   * an array to registers.
   */
  private unrolledBody(loop: string, PA: number, PB: number): string {
    const { g: G, tx: TX, ty: TY } = this.geo;
    const C = ['x', 'y', 'z', 'w'];
    const accs = Array.from({ length: 4 * G * G }, (_, i) => `acc${i}`);
    const fmas: string[] = [];
    for (let kk = 0; kk < this.bk; kk++) {
      const loads = Array.from({ length: G }, (_, g) => `let a${g} = As[${kk * PA + g * TY} + ty]; let b${g} = Bs[${kk * PB + g * TX} + tx];`);
      const body: string[] = [];
      for (let ig = 0; ig < G; ig++) for (let i = 0; i < 4; i++) for (let jg = 0; jg < G; jg++) {
        const idx = (ig * 4 + i) * G + jg;
        body.push(`acc${idx} = fma(vec4<f32>(a${ig}.${C[i]}), b${jg}, acc${idx});`);
      }
      fmas.push(`          { ${loads.join(' ')}\n            ${body.join('\n            ')} }`);
    }
    const stores: string[] = [];
    for (let ig = 0; ig < G; ig++) for (let i = 0; i < 4; i++) {
      const row: string[] = [];
      for (let jg = 0; jg < G; jg++) for (let c = 0; c < 4; c++) {
        row.push(`{ let gn = col0 + ${jg * 4 * TX + c} + tx * 4; if (gn < uniforms.N) { let o = cOff + gm * uniforms.N + gn; result[o] = ${this.epilogue(`acc${(ig * 4 + i) * G + jg}.${C[c]}`)}; } }`);
      }
      stores.push(`        { let gm = row0 + ${ig * 4 * TY + i} + ty * 4; if (gm < uniforms.M) {\n          ${row.join('\n          ')}\n        } }`);
    }
    return `${accs.map((a) => `var ${a} = vec4<f32>(0.0);`).join(' ')}${loop}
${fmas.join('\n')}
          workgroupBarrier();
        }
        let cOff = z * uniforms.M * uniforms.N; // batch entry, or this split's partial C
${stores.join('\n')}`;
  }

  /**
   * 'wide' staging: each load is a vec4 of the operand's contiguous dimension. Along M (Aᵀ) or N (B) it is
   * stored as one vec4 of the staged row; along K it is spread over four k-rows. With the dimensions multiples
   * of 4 (wideEligible) and kStart, kEnd multiples of 16, a vec4 is wholly inside or wholly outside the bounds.
   */
  private wideStage(PA: number, PB: number): string {
    const Q = this.bk / 4; // vec4s per staged row along K
    const stage = (which: 'A' | 'B', tile: string, P: number) => {
      const { x, extent, origin, dim, off, kMajor } = this.layout(which);
      const load = (index: string) => (this.gelu === which ? `geluV(${which}[${index}])` : `${which}[${index}]`);
      return kMajor ? this.loadRounds((extent / 4) * this.bk, `
              let k = e / ${extent / 4}; let ${x}q = e % ${extent / 4}; let g${x} = ${origin} + 4 * ${x}q; let gk = k0 + k;
              var v = vec4<f32>(0.0);
              if (g${x} < uniforms.${dim} && gk < kEnd) { v = ${load(`(${off} + gk * uniforms.${dim} + g${x}) / 4`)}; }
              ${tile}[k * ${P} + ${x}q] = v;`) : this.loadRounds(extent * Q, `
              let ${x} = e / ${Q}; let k = 4 * (e % ${Q}); let g${x} = ${origin} + ${x}; let gk = k0 + k;
              var v = vec4<f32>(0.0);
              if (g${x} < uniforms.${dim} && gk < kEnd) { v = ${load(`(${off} + g${x} * uniforms.K + gk) / 4`)}; }
              for (var j = 0; j < 4; j++) { ${tile}[(k + j) * ${P} + ${x} / 4][${x} % 4] = v[j]; }`);
    };
    return stage('A', 'As', PA) + stage('B', 'Bs', PB);
  }

  /** One float per workgroup-memory read: thread (tx, ty) owns rows ty + TY·i and columns tx + TX·j. */
  private scalarCode(): string {
    const { m: TM, n: TN, tx: TX, ty: TY } = this.geo;
    const RM = TM / TY, RN = TN / TX; // outputs per thread per side
    const PA = TM + 1, PB = TN + 1; // padded row of a staged tile: k-major writes land in different banks
    const { prologue, stage } = this.parts(`As[k * ${PA} + m] = v;`, `Bs[k * ${PB} + n] = v;`);
    return `${usesGelu(this.addend, this.gelu) ? GELU_FNS : ''}
      var<workgroup> As : array<f32, ${this.bk * PA}>;
      var<workgroup> Bs : array<f32, ${this.bk * PB}>;

      fn main() {
        ${prologue}
        var acc : array<array<f32, ${RN}>, ${RM}>;
        for (var i = 0; i < ${RM}; i++) { for (var j = 0; j < ${RN}; j++) { acc[i][j] = 0.0; } }
        var a : array<f32, ${RM}>;
        var b : array<f32, ${RN}>;
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${this.bk};
          ${stage}
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

/** Sums the split-K partials (splitK, M, N) into C, adding the addend (C's shape, or a row of N) if any. */
export class SplitKReduceProgram implements WebGPUProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number] = [256, 1, 1];
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly size = true;

  constructor(readonly splits: number, M: number, N: number, readonly addend: GemmAddend) {
    this.variableNames = ['P', ...addendNames(addend)];
    this.outputShape = [M, N];
    this.shaderKey = `nanometaSplitKReduce_${splits}_${addend}`;
    this.dispatch = [Math.ceil((M * N) / 256), 1, 1];
  }

  getUserCode(): string {
    const row = 'index % uniforms.outShape.y';
    const add = { none: '', full: ' + C0[index]', row: ` + C0[${row}]`, both: ` + C0[index] + C1[${row}]`, geluGrad: ' * geluPrime(C0[index])' }[this.addend];
    return `${this.addend === 'geluGrad' ? GELU_FNS : ''}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var s = 0.0;
        for (var j = 0; j < ${this.splits}; j++) { s = s + P[j * uniforms.size + index]; }
        result[index] = s${add};
      }
    `;
  }
}

/** A product's tile and K split (1: none). */
export interface GemmPlan {
  tile: GemmTile;
  splitK: number;
}

// The planner's model of the GPU: an H100/H200 (132 SMs), as measured there (docs/results/gpu-speed). On other
// GPUs its plans are sensible, not tuned; kernels/matmul/tune.ts measures instead.
const SMS = 132;
/** Threads of these kernels an SM holds at once: ~128 registers a thread for 8×8 outputs; ~40 for 64x64's 4×4. */
const SM_THREADS = 512, SM_THREADS_64 = 1024;
/** Threads an SM needs to keep its FP32 pipes busy (each has 64 independent FMAs per staged k). */
const SATURATING_THREADS = 384;
/** fp32 FMAs per µs the whole GPU sustains in these kernels (~30 TFLOP/s), and floats per µs of DRAM traffic (~4 TB/s). */
const FMA_PER_US = 15e6, FLOATS_PER_US = 1e6;
/** One more dispatch (split-K's reduction), µs: the GPU's gap between dispatches and tfjs's host cost of one. */
const DISPATCH_US = 10;
/** 64x64 does half of 128x128's FMAs per workgroup-memory read. */
const EFFICIENCY_64 = 0.6;
const SPLITS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
/** Shortest K a split may take. */
const MIN_K_PER_SPLIT = 256;

/**
 * Estimated µs of one product under a plan. Workgroups spread evenly over the SMs; the busiest SM runs its
 * share in rounds of as many as fit, each round as long as its FMAs (padding included: a 128-wide tile over
 * 288 columns computes 384) at the SM's rate, which drops when too few threads are resident (the last,
 * partial round). A split adds its partials' traffic and the reduction's dispatch. The value ranks plans.
 */
export function estimateGemmUs(shape: Omit<GemmShape, 'splitK'>, plan: GemmPlan): number {
  const g = tileGeometry(plan.tile);
  const threads = g.tx * g.ty;
  const perSm = Math.max(1, Math.floor((plan.tile === '64x64' ? SM_THREADS_64 : SM_THREADS) / threads)); // workgroups at once
  const kPer = Math.ceil(shape.K / plan.splitK / BK) * BK;
  const fmas = (g.m * g.n * kPer) / (plan.tile === '64x64' ? EFFICIENCY_64 : 1); // one workgroup's
  const workgroups = shape.batch * Math.ceil(shape.M / g.m) * Math.ceil(shape.N / g.n) * plan.splitK;
  const share = Math.ceil(workgroups / SMS); // the busiest SM's
  const round = (n: number) => (n * fmas) / Math.min(1, (n * threads) / SATURATING_THREADS); // SM-rate units
  const smUnits = Math.floor(share / perSm) * round(perSm) + (share % perSm ? round(share % perSm) : 0);
  const compute = (smUnits * SMS) / FMA_PER_US;
  return compute + (plan.splitK > 1 ? (2 * plan.splitK * shape.M * shape.N) / FLOATS_PER_US + DISPATCH_US : 0);
}

/** Every plan the GEMM can run for a product: each tile, and K splits for batch-1 products with a long K. */
export function gemmPlans(shape: Omit<GemmShape, 'splitK'>): GemmPlan[] {
  const splits = SPLITS.filter((s) => s === 1 || (shape.batch === 1 && shape.K / s >= MIN_K_PER_SPLIT));
  return GEMM_TILES.flatMap((tile) => splits.map((splitK) => ({ tile, splitK })));
}

/**
 * Tile and split for one product: the plan with the least estimateGemmUs (ties: the earlier in GEMM_TILES,
 * then the smaller split). For the tinystories-15m shapes that is 128x96 wherever a side is 288 and a split
 * that fills whole waves for weight gradients and the LM head's dh. NANOMETA_GEMM_PLAN=square restores the
 * first planner (128x128 or 64x64, a split up to ~4 workgroups per SM) for comparisons on the GPU.
 */
export function planGemm(shape: Omit<GemmShape, 'splitK'>): GemmPlan {
  if (process.env.NANOMETA_GEMM_PLAN === 'square') return planSquare(shape);
  // Every product of every step asks: the estimates over ~50 plans are made once per shape.
  const key = `${shape.batch} ${shape.M} ${shape.N} ${shape.K}`;
  let best = plans.get(key);
  if (!best) {
    let bestUs = Infinity;
    for (const plan of gemmPlans(shape)) {
      const us = estimateGemmUs(shape, plan);
      if (us < bestUs) { best = plan; bestUs = us; }
    }
    plans.set(key, best!);
  }
  return best!;
}

const plans = new Map<string, GemmPlan>();

/** The first planner (call 3 of docs/results/gpu-speed): 128-tiles when C is big enough, else 64; split to ~4 workgroups per SM. */
function planSquare(shape: Omit<GemmShape, 'splitK'>): GemmPlan {
  const target = 4 * SMS;
  const tiles = (t: number) => shape.batch * Math.ceil(shape.M / t) * Math.ceil(shape.N / t);
  if (shape.M >= 128 && shape.N >= 128) {
    const wg = tiles(128);
    if (wg >= target / 2 || shape.batch > 1) return { tile: '128x128', splitK: 1 };
    const splitK = Math.max(1, Math.min(Math.round(target / wg), Math.floor(shape.K / 512), 32));
    if (splitK > 1) return { tile: '128x128', splitK };
  }
  return { tile: Math.min(shape.M, shape.N) >= 128 && tiles(128) >= target / 2 ? '128x128' : '64x64', splitK: 1 };
}
