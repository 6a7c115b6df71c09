// WGSL for nanometa's WebGPU BatchMatMul (C = op(A)·op(B), fp32): the classic shared-memory tiled SGEMM
// (as in llm.c's / CUTLASS's SIMT kernels). A workgroup of 16×16 threads owns a TILE×TILE block of C; each
// thread accumulates (TILE/16)² outputs in registers over K, staged through workgroup memory BK columns at
// a time. Thread (tx, ty) owns rows ty + 16i and columns tx + 16j, so workgroup-memory reads are
// conflict-free and the final stores are coalesced. Transposes only change how tiles are loaded. 'prefetch'
// adds register double-buffering (Boehm's "How to optimize a CUDA matmul kernel", CUTLASS's SIMT mainloop).
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { geluHelpers } from '../gelu/program.js';

/** Output tile edge: 128 (8×8 per thread) for big products, 64 (4×4) when 128-tiles would leave SMs idle. */
export type GemmTile = 64 | 128;

const BK = 16; // K depth of one staged tile
const THREADS = 16; // per side: 256 threads

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
 * NANOMETA_GEMM=scalar|prefetch selects the others (benchmarks; default vec4).
 */
export type GemmVariant = 'vec4' | 'scalar' | 'prefetch';

export const GEMM_VARIANTS: readonly GemmVariant[] = ['vec4', 'scalar', 'prefetch'];

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

/** WGSL: geluF(v) and geluPrime(v) for the prologue and epilogue (the same math as kernels/gelu). */
const GELU_FNS = `${geluHelpers('f32')}
    fn geluF(v : f32) -> f32 { return 0.5 * v * (1.0 + tanhStable(geluInner(v))); }
    fn geluPrime(v : f32) -> f32 {
      let u = geluInner(v);
      return 0.5 * (1.0 + tanhStable(u)) + 0.5 * v * sech2(u) * GELU_K * (1.0 + 3.0 * GELU_A * v * v);
    }
`;
const usesGelu = (addend: GemmAddend, gelu: GemmGelu) => addend === 'geluGrad' || gelu !== 'none';

export class GemmProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly workgroupSize: [number, number, number] = [THREADS, THREADS, 1];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] }; // not flat: main() takes no index
  readonly dispatch: [number, number, number];
  readonly uniforms = 'M : i32, N : i32, K : i32, strideA : i32, strideB : i32, kPer : i32,';

  constructor(readonly shape: GemmShape, readonly transA: boolean, readonly transB: boolean, readonly tile: GemmTile,
    readonly addend: GemmAddend = 'none', readonly variant: GemmVariant = 'vec4', readonly gelu: GemmGelu = 'none') {
    if (shape.splitK > 1 && (shape.batch !== 1 || addend !== 'none')) throw new Error('GemmProgram: split-K needs batch 1 and no addend');
    this.variableNames = ['A', 'B', ...addendNames(addend)];
    const z = shape.splitK > 1 ? shape.splitK : shape.batch;
    this.outputShape = [z, shape.M, shape.N];
    this.shaderKey = `nanometaGemm_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${tile}_${addend}_${shape.splitK > 1 ? 'split' : ''}_${variant}_${gelu}`;
    this.dispatch = [Math.ceil(shape.N / tile), Math.ceil(shape.M / tile), z];
  }

  /** K per split, a multiple of BK. */
  get kPer(): number {
    return Math.ceil(this.shape.K / this.shape.splitK / BK) * BK;
  }

  uniformData(): Array<{ type: 'int32'; data: number[] }> {
    const { M, N, K, strideA, strideB } = this.shape;
    return [M, N, K, strideA, strideB, this.kPer].map((v) => ({ type: 'int32' as const, data: [v] }));
  }

  /** One operand's staging: element e's tile-local (m|n, k) and global (gm|gn, gk) coordinates, bounds guard, index. */
  private operand(which: 'A' | 'B'): { local: string; coords: string; guard: string; index: string; gelu: boolean } {
    const T = this.tile;
    if (which === 'A') {
      const local = this.transA ? `let k = e / ${T}; let m = e % ${T};` : `let m = e / ${BK}; let k = e % ${BK};`;
      return {
        local,
        coords: `${local} let gm = row0 + m; let gk = k0 + k;`,
        guard: 'gm < uniforms.M && gk < kEnd',
        index: this.transA ? 'aOff + gk * uniforms.M + gm' : 'aOff + gm * uniforms.K + gk',
        gelu: this.gelu === 'A',
      };
    }
    const local = this.transB ? `let n = e / ${BK}; let k = e % ${BK};` : `let k = e / ${T}; let n = e % ${T};`;
    return {
      local,
      coords: `${local} let gn = col0 + n; let gk = k0 + k;`,
      guard: 'gn < uniforms.N && gk < kEnd',
      index: this.transB ? 'bOff + gn * uniforms.K + gk' : 'bOff + gk * uniforms.N + gn',
      gelu: this.gelu === 'B',
    };
  }

  /** Staging loads per thread per operand and tile. */
  private get loads(): number {
    return (this.tile * BK) / (THREADS * THREADS);
  }

  /**
   * The WGSL every variant shares: the split/batch prologue; `stage`, which loads tile k0 straight into
   * workgroup memory (vec4, scalar); and prefetch's two halves: `fetch` (tile k0 from global memory into the
   * registers ra, rb; zeros outside M, N or [kStart, kEnd), so fetching past the last tile reads nothing) and
   * `put` (the registers into workgroup memory, through GELU when the operand takes it).
   */
  private parts(storeA: string, storeB: string): { prologue: string; stage: string; fetch: string; put: string } {
    const split = this.shape.splitK > 1;
    const prologue = `
        let z = i32(workgroupId.z);
        let batch = ${split ? '0' : 'z'};
        let kStart = ${split ? 'z * uniforms.kPer' : '0'};
        let kEnd = ${split ? 'min(uniforms.K, kStart + uniforms.kPer)' : 'uniforms.K'};
        let row0 = i32(workgroupId.y) * ${this.tile};
        let col0 = i32(workgroupId.x) * ${this.tile};
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * ${THREADS} + tx;
        let aOff = batch * uniforms.strideA;
        let bOff = batch * uniforms.strideB;
        let tiles = ${split ? `uniforms.kPer / ${BK}` : `(uniforms.K + ${BK - 1}) / ${BK}`}; // uniform trip count: barriers inside`;
    const a = this.operand('A'), b = this.operand('B');
    const read = (o: typeof a, name: string) => (o.gelu ? `geluF(${name}[${o.index}])` : `${name}[${o.index}]`);
    const perLoad = (body: string) => `
          for (var l = 0; l < ${this.loads}; l++) {
            let e = tid + l * ${THREADS * THREADS};${body}
          }`;
    const stage = perLoad(`
            {
              ${a.coords}
              var v = 0.0;
              if (${a.guard}) { v = ${read(a, 'A')}; }
              ${storeA}
            }
            {
              ${b.coords}
              var v = 0.0;
              if (${b.guard}) { v = ${read(b, 'B')}; }
              ${storeB}
            }`);
    const fetch = perLoad(`
            {
              ${a.coords}
              var v = 0.0;
              if (${a.guard}) { v = A[${a.index}]; }
              ra[l] = v;
            }
            {
              ${b.coords}
              var v = 0.0;
              if (${b.guard}) { v = B[${b.index}]; }
              rb[l] = v;
            }`);
    // geluF(0) = 0, so the zero padding stays zero through GELU.
    const put = perLoad(`
            {
              ${a.local}
              let v = ${a.gelu ? 'geluF(ra[l])' : 'ra[l]'};
              ${storeA}
            }
            {
              ${b.local}
              let v = ${b.gelu ? 'geluF(rb[l])' : 'rb[l]'};
              ${storeB}
            }`);
    return { prologue, stage, fetch, put };
  }

  private epilogue(value: string): string {
    if (this.addend === 'geluGrad') return `${value} * geluPrime(C0[o])`;
    const add = { none: '', full: ' + C0[o]', row: ' + C0[gn]', both: ' + C0[o] + C1[gn]' }[this.addend];
    return `${value}${add}`;
  }

  getUserCode(): string {
    return this.variant === 'scalar' ? this.scalarCode() : this.vec4Code(this.variant === 'prefetch');
  }

  /**
   * The vec4 inner loop. With `prefetch`, the main loop is: registers → workgroup memory, barrier, fetch of
   * tile t+1 into registers (not waited for until the next iteration's put), FMAs on tile t, barrier.
   */
  private vec4Code(prefetch: boolean): string {
    const T = this.tile;
    const G = T / 64; // 4×4 blocks per thread per side, 64 apart
    const P4 = T / 4 + 1; // vec4s per staged k-row, padded so k-major writes spread over banks
    const { prologue, stage, fetch, put } = this.parts('As[k * ' + P4 + ' + m / 4][m % 4] = v;', 'Bs[k * ' + P4 + ' + n / 4][n % 4] = v;');
    const loop = prefetch ? `
        var ra : array<f32, ${this.loads}>; // this thread's share of the next A tile
        var rb : array<f32, ${this.loads}>;
        var k0 = kStart;
        ${fetch}
        for (var t = 0; t < tiles; t++) {
          ${put}
          workgroupBarrier();
          k0 = kStart + (t + 1) * ${BK}; // past kEnd on the last tile: every load guarded out
          ${fetch}` : `
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${BK};
          ${stage}
          workgroupBarrier();`;
    return `${usesGelu(this.addend, this.gelu) ? GELU_FNS : ''}
      var<workgroup> As : array<vec4<f32>, ${BK * P4}>;
      var<workgroup> Bs : array<vec4<f32>, ${BK * P4}>;

      fn main() {
        ${prologue}
        var acc : array<vec4<f32>, ${4 * G * G}>; // row ig*64 + ty*4 + i, columns jg*64 + tx*4 + (0..3)
        for (var i = 0; i < ${4 * G * G}; i++) { acc[i] = vec4<f32>(0.0); }${loop}
          for (var kk = 0; kk < ${BK}; kk++) {
            var av : array<vec4<f32>, ${G}>;
            var bv : array<vec4<f32>, ${G}>;
            for (var g = 0; g < ${G}; g++) {
              av[g] = As[kk * ${P4} + g * 16 + ty];
              bv[g] = Bs[kk * ${P4} + g * 16 + tx];
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
          }
          workgroupBarrier();
        }
        let cOff = z * uniforms.M * uniforms.N; // batch entry, or this split's partial C
        for (var ig = 0; ig < ${G}; ig++) {
          for (var i = 0; i < 4; i++) {
            let gm = row0 + ig * 64 + ty * 4 + i;
            if (gm < uniforms.M) {
              for (var jg = 0; jg < ${G}; jg++) {
                let v4 = acc[(ig * 4 + i) * ${G} + jg];
                for (var c = 0; c < 4; c++) {
                  let gn = col0 + jg * 64 + tx * 4 + c;
                  if (gn < uniforms.N) {
                    let o = cOff + gm * uniforms.N + gn;
                    result[o] = ${this.epilogue('v4[c]')};
                  }
                }
              }
            }
          }
        }
      }
    `;
  }

  private scalarCode(): string {
    const T = this.tile;
    const R = T / THREADS; // outputs per thread per side
    const P = T + 1; // padded row of a staged tile: k-major writes land in different banks
    const { prologue, stage } = this.parts(`As[k * ${P} + m] = v;`, `Bs[k * ${P} + n] = v;`);
    return `${usesGelu(this.addend, this.gelu) ? GELU_FNS : ''}
      var<workgroup> As : array<f32, ${BK * P}>;
      var<workgroup> Bs : array<f32, ${BK * P}>;

      fn main() {
        ${prologue}
        var acc : array<array<f32, ${R}>, ${R}>;
        for (var i = 0; i < ${R}; i++) { for (var j = 0; j < ${R}; j++) { acc[i][j] = 0.0; } }
        var a : array<f32, ${R}>;
        var b : array<f32, ${R}>;
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${BK};
          ${stage}
          workgroupBarrier();
          for (var kk = 0; kk < ${BK}; kk++) {
            for (var i = 0; i < ${R}; i++) { a[i] = As[kk * ${P} + ty + i * ${THREADS}]; }
            for (var j = 0; j < ${R}; j++) { b[j] = Bs[kk * ${P} + tx + j * ${THREADS}]; }
            for (var i = 0; i < ${R}; i++) {
              for (var j = 0; j < ${R}; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
            }
          }
          workgroupBarrier();
        }
        let cOff = z * uniforms.M * uniforms.N; // batch entry, or this split's partial C
        for (var i = 0; i < ${R}; i++) {
          let gm = row0 + ty + i * ${THREADS};
          if (gm < uniforms.M) {
            for (var j = 0; j < ${R}; j++) {
              let gn = col0 + tx + j * ${THREADS};
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

/** Workgroups that keep an H100/H200 (132 SMs) busy: about four per SM. */
const TARGET_WORKGROUPS = 528;

/**
 * Tile and split for one product: 128-tiles (more arithmetic per workgroup-memory read) when C is at least
 * 128 on both sides; a K split when the tiles alone would leave the GPU idle and K is long; otherwise
 * 64-tiles for small products.
 */
export function planGemm(shape: Omit<GemmShape, 'splitK'>): { tile: GemmTile; splitK: number } {
  const tiles = (t: number) => shape.batch * Math.ceil(shape.M / t) * Math.ceil(shape.N / t);
  if (shape.M >= 128 && shape.N >= 128) {
    const wg = tiles(128);
    if (wg >= TARGET_WORKGROUPS / 2 || shape.batch > 1) return { tile: 128, splitK: 1 };
    const splitK = Math.max(1, Math.min(Math.round(TARGET_WORKGROUPS / wg), Math.floor(shape.K / 512), 32));
    if (splitK > 1) return { tile: 128, splitK };
  }
  // A side under 128 would leave most of a 128-tile empty (attention's p·v has N = 48).
  return { tile: Math.min(shape.M, shape.N) >= 128 && tiles(128) >= TARGET_WORKGROUPS / 2 ? 128 : 64, splitK: 1 };
}


