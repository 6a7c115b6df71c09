// WGSL for nanometa's WebGPU BatchMatMul (C = op(A)·op(B), fp32): the classic shared-memory tiled SGEMM
// (as in llm.c's / CUTLASS's SIMT kernels). A workgroup owns an m×n block of C (128x128, or 64x64 for small
// products); each thread accumulates 8×8 outputs (4×4 for 64x64) in registers over K, in 4×4 blocks read from
// workgroup memory as vec4s; K is staged 16 at a time, in blocks spaced so that workgroup-memory reads are
// conflict-free and the final stores coalesced. Transposes only change how tiles are loaded. Long K over a
// small C is split across workgroups (split-K) and summed by SplitKReduceProgram; the epilogue adds biases,
// residuals or accumulations, and GELU can be applied as an operand is loaded (kernels/linear).
// This inner loop, its tiles and planGemm are what was measured on a GPU (docs/results/gpu-speed). Other inner
// loops, tiles and planners are variants in bench/matmul/, built on GemmProgram's protected pieces.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { geluHelpers } from '../gelu/program.js';

/** The tiles planGemm chooses from. */
export const GEMM_TILES = ['64x64', '128x128'] as const;

/**
 * The block of C one workgroup computes, rows × columns. Each thread owns G×G blocks of 4×4 outputs (G = 2:
 * 8×8 per thread; G = 1 for 64x64: 4×4), so the workgroup is (n / 4G) × (m / 4G) threads, at most 256.
 * src plans GEMM_TILES only; bench/matmul's variants run others (sides multiples of 8).
 */
export type GemmTile = `${number}x${number}`;

/** A tile's rows and columns of C, 4×4 blocks per thread per side, and threads along columns (x) and rows (y). */
export function tileGeometry(tile: GemmTile): { m: number; n: number; g: number; tx: number; ty: number } {
  const [m, n] = tile.split('x').map(Number);
  const g = tile === '64x64' ? 1 : 2;
  return { m, n, g, tx: n / (4 * g), ty: m / (4 * g) };
}

const BK = 16; // K depth of one staged tile

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

/** WGSL: geluF(v) and geluPrime(v) (kernels/gelu's), for the loads and the epilogue. */
export const GELU_FNS = geluHelpers('f32');

/** One operand's staging (GemmProgram.operand). */
export interface GemmOperand {
  /** WGSL: element e's tile-local (m|n, k). */
  local: string;
  /** WGSL: local plus the global coordinates (gm|gn, gk). */
  coords: string;
  /** WGSL condition: the element is inside the operand and this split's K range. */
  guard: string;
  /** WGSL: the element's index in the binding. */
  index: string;
  /** The operand goes through GELU as it is loaded. */
  gelu: boolean;
  /** Elements of one staged tile. */
  size: number;
}

export class GemmProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  shaderKey: string;
  readonly workgroupSize: [number, number, number];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] }; // not flat: main() takes no index
  readonly dispatch: [number, number, number];
  readonly uniforms = 'M : i32, N : i32, K : i32, strideA : i32, strideB : i32, kPer : i32,';
  /** Components per binding (bench/matmul's variants that bind A and B as vec4 arrays); unset: floats. */
  variableComponents?: number[];
  protected readonly geo: ReturnType<typeof tileGeometry>;

  constructor(
    readonly shape: GemmShape,
    readonly transA: boolean,
    readonly transB: boolean,
    readonly tile: GemmTile,
    readonly addend: GemmAddend = 'none',
    readonly gelu: GemmGelu = 'none',
  ) {
    if (shape.splitK > 1 && (shape.batch !== 1 || addend !== 'none'))
      throw new Error('GemmProgram: split-K needs batch 1 and no addend');
    this.variableNames = ['A', 'B', ...addendNames(addend)];
    const z = shape.splitK > 1 ? shape.splitK : shape.batch;
    this.outputShape = [z, shape.M, shape.N];
    this.shaderKey = `nanometaGemm_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${tile}_${addend}_${shape.splitK > 1 ? 'split' : ''}_${gelu}`;
    this.geo = tileGeometry(tile);
    this.workgroupSize = [this.geo.tx, this.geo.ty, 1];
    this.dispatch = [Math.ceil(shape.N / this.geo.n), Math.ceil(shape.M / this.geo.m), z];
  }

  protected get threads(): number {
    return this.geo.tx * this.geo.ty;
  }

  /** K depth of one staged tile. */
  get bk(): number {
    return BK;
  }

  /** K per split, a multiple of the staged depth. */
  get kPer(): number {
    return Math.ceil(this.shape.K / this.shape.splitK / this.bk) * this.bk;
  }

  uniformData(): Array<{ type: 'int32'; data: number[] }> {
    const { M, N, K, strideA, strideB } = this.shape;
    return [M, N, K, strideA, strideB, this.kPer].map((v) => ({ type: 'int32' as const, data: [v] }));
  }

  /** Whether GELU's WGSL helpers are needed (GELU on load, or the geluGrad epilogue). */
  protected get usesGelu(): boolean {
    return this.addend === 'geluGrad' || this.gelu !== 'none';
  }

  /**
   * How an operand is laid out: its tile-local coordinate `x` (m or n), tile extent, global origin and extent,
   * binding offset, and whether it is stored k-major (Aᵀ, or B: contiguous along M or N) or x-major (along K).
   */
  protected layout(which: 'A' | 'B') {
    return which === 'A'
      ? { x: 'm', extent: this.geo.m, origin: 'row0', dim: 'M', off: 'aOff', kMajor: this.transA }
      : { x: 'n', extent: this.geo.n, origin: 'col0', dim: 'N', off: 'bOff', kMajor: !this.transB };
  }

  /** One operand's staging: element e's tile-local and global coordinates, bounds guard, index. */
  protected operand(which: 'A' | 'B'): GemmOperand {
    const { x, extent, origin, dim, off, kMajor } = this.layout(which);
    const local = kMajor
      ? `let k = e / ${extent}; let ${x} = e % ${extent};`
      : `let ${x} = e / ${this.bk}; let k = e % ${this.bk};`;
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
  protected loadsOf(size: number): number {
    return Math.ceil(size / this.threads);
  }

  /** WGSL: `body` for elements e = tid + l·threads of a staged tile of `size`, l < loads; `e < size` only when threads do not divide it. */
  protected loadRounds(size: number, body: string): string {
    const loads = this.loadsOf(size);
    const ragged = loads * this.threads !== size;
    return `
          for (var l = 0; l < ${loads}; l++) {
            let e = tid + l * ${this.threads};${
              ragged
                ? `
            if (e < ${size}) {`
                : ''
            }
            {${body}
            }${
              ragged
                ? `
            }`
                : ''
            }
          }`;
  }

  /** WGSL: `body(operand, name)` over the staged elements of A, then of B. */
  protected perOperand(body: (o: GemmOperand, name: 'A' | 'B') => string): string {
    const a = this.operand('A'),
      b = this.operand('B');
    return this.loadRounds(a.size, body(a, 'A')) + this.loadRounds(b.size, body(b, 'B'));
  }

  /** WGSL: the split/batch prologue every inner loop shares (tile origin, K range, thread ids, trip count). */
  protected prologue(): string {
    const split = this.shape.splitK > 1;
    return `
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
  }

  /** WGSL: loads tile k0 of A and B into workgroup memory (`store` writes v, through GELU when the operand takes it). */
  protected stage(storeA: string, storeB: string): string {
    return this.perOperand(
      (o, name) => `
              ${o.coords}
              var v = 0.0;
              if (${o.guard}) { v = ${o.gelu ? `geluF(${name}[${o.index}])` : `${name}[${o.index}]`}; }
              ${name === 'A' ? storeA : storeB}`,
    );
  }

  protected epilogue(value: string): string {
    if (this.addend === 'geluGrad') return `${value} * geluPrime(C0[o])`;
    const add = { none: '', full: ' + C0[o]', row: ' + C0[gn]', both: ' + C0[o] + C1[gn]' }[this.addend];
    return `${value}${add}`;
  }

  getUserCode(): string {
    return this.vec4Code();
  }

  /** Vec4s per staged k-row of A and B, padded so that k-major writes spread over banks. */
  protected get padded(): { PA: number; PB: number } {
    return { PA: this.geo.m / 4 + 1, PB: this.geo.n / 4 + 1 };
  }

  /** Workgroup-memory buffers per operand (bench/matmul's double-buffered variant: 2). */
  protected get buffers(): number {
    return 1;
  }

  /** WGSL: the K loop's opening, up to the staged tile being ready in As and Bs for the FMAs. */
  protected kLoop(): string {
    const { PA, PB } = this.padded;
    return `
        for (var t = 0; t < tiles; t++) {
          let k0 = kStart + t * ${this.bk};
          ${this.stage(`As[k * ${PA} + m / 4][m % 4] = v;`, `Bs[k * ${PB} + n / 4][n % 4] = v;`)}
          workgroupBarrier();`;
  }

  /** WGSL: what follows a tile's FMAs before the loop's closing barrier (nothing here; bench/matmul's variants). */
  protected afterFmas(): string {
    return '';
  }

  /** WGSL: offsets (vec4s, with a trailing ' + ') of the tile the FMAs read in As and Bs (none here; bench/matmul's variants). */
  protected readOffsets(): [string, string] {
    return ['', ''];
  }

  /**
   * The vec4 kernel: thread (tx, ty) owns G×G blocks of 4 rows × 4 columns, rows ig·4TY + 4ty + i and columns
   * jg·4TX + 4tx + c, read from workgroup memory as vec4s (4× fewer shared-memory loads per FMA than one float
   * per read).
   */
  protected vec4Code(): string {
    const { PA, PB } = this.padded;
    return `${this.usesGelu ? GELU_FNS : ''}
      var<workgroup> As : array<vec4<f32>, ${this.bk * PA * this.buffers}>;
      var<workgroup> Bs : array<vec4<f32>, ${this.bk * PB * this.buffers}>;

      fn main() {
        ${this.prologue()}
        ${this.vec4Body()}
      }
    `;
  }

  /** WGSL: accumulators, the K loop with its FMAs, and the epilogue's stores. */
  protected vec4Body(): string {
    const { g: G, tx: TX, ty: TY } = this.geo;
    const { PA, PB } = this.padded;
    const [rA, rB] = this.readOffsets();
    return `var acc : array<vec4<f32>, ${4 * G * G}>; // row ig*${4 * TY} + ty*4 + i, columns jg*${4 * TX} + tx*4 + (0..3)
        for (var i = 0; i < ${4 * G * G}; i++) { acc[i] = vec4<f32>(0.0); }${this.kLoop()}
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
          }${this.afterFmas()}
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
        }`;
  }
}

export class SplitKReduceProgram implements WebGPUProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly workgroupSize: [number, number, number] = [256, 1, 1];
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly size = true;

  constructor(
    readonly splits: number,
    M: number,
    N: number,
    readonly addend: GemmAddend,
  ) {
    this.variableNames = ['P', ...addendNames(addend)];
    this.outputShape = [M, N];
    this.shaderKey = `nanometaSplitKReduce_${splits}_${addend}`;
    this.dispatch = [Math.ceil((M * N) / 256), 1, 1];
  }

  getUserCode(): string {
    const row = 'index % uniforms.outShape.y';
    const add = {
      none: '',
      full: ' + C0[index]',
      row: ` + C0[${row}]`,
      both: ` + C0[index] + C1[${row}]`,
      geluGrad: ' * geluPrime(C0[index])',
    }[this.addend];
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

/** Streaming multiprocessors of the H100/H200 the planner was measured on (docs/results/gpu-speed). */
const SMS = 132;

/**
 * Tile and split for one product: 128x128 tiles when C is big enough for ~2 workgroups per SM (or batched),
 * else 64x64; a batch-1 product with too few 128-tiles splits K to reach ~4 workgroups per SM (at most 32
 * splits, each at least 512 of K).
 */
export function planGemm(shape: Omit<GemmShape, 'splitK'>): GemmPlan {
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
