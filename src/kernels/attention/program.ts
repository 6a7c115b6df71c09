// WGSL for NanometaCausalAttention (forward) and its gradient, FlashAttention-style (Dao 2022; FA-2 Algorithm 1/2):
// one workgroup per (b, h, block of ROWS rows), one thread per row, K/V (or Q/dO) tiles staged in workgroup memory,
// online softmax, tiles past the causal diagonal never visited. qkv is read in place as (B, T, 3C) = [q | k | v],
// as vec4 when hs is a multiple of 4 (a quarter of the loads and of the workgroup-memory reads in the inner loops).
import { FlatProgram, WORKGROUP_INDEX } from '../program-base.js';

/** Rows per workgroup, one thread each: the block of query rows (forward, dq) or key rows (dk, dv). */
export const ROWS = 64;
/** Workgroup memory we plan for: WebGPU's default maxComputeWorkgroupStorageSize (16 KiB), less slack for scalars. */
const WORKGROUP_BYTES = 16384 - 64;

/** Rows of a staged tile holding two (rows, hs) float arrays and `extra` floats per row: a multiple of 4, 4 to 32. */
export function tileRows(hs: number, extra = 0): number {
  return Math.max(4, Math.min(32, 4 * Math.floor(WORKGROUP_BYTES / (16 * (2 * hs + extra)))));
}

/** f32 literal for WGSL. */
function f32(v: number): string {
  const s = String(Math.fround(v));
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * Shared prologue: this workgroup's (b, h, block) made workgroup-uniform through workgroupUniformLoad (tfjs keeps
 * workgroupId in a private variable, which WGSL's uniformity analysis treats as varying), the row of this thread
 * (`row`, clamped to `rowc` < T) and `live`: false in the surplus workgroups of a folded dispatch.
 * `reverse` walks the blocks last-first (query blocks: the last ones see the most keys, so they start first).
 */
function prologue(hs: number, W: number, reverse: boolean): string {
  return `
        if (localIndex == 0u) { wgGroup = ${WORKGROUP_INDEX}; }
        let group = workgroupUniformLoad(&wgGroup);
        let T = uniforms.qkvShape.y;
        let C = uniforms.qkvShape.z / 3;
        let H = C / ${hs};
        let blocks = (T + ${ROWS - 1}) / ${ROWS};
        let live = group < uniforms.qkvShape.x * H * blocks;
        let bh = min(group / blocks, uniforms.qkvShape.x * H - 1);
        let block = ${reverse ? `blocks - 1 - group % blocks` : 'group % blocks'};
        let b = bh / H;
        let h = bh % H;
        let row = block * ${ROWS} + i32(localIndex);
        let rowc = min(row, T - 1);
        let bT = b * T; // row index of (b, 0) in the (B*T, .) views
        let Cv = C / ${W}; // C in vectors`;
}

/**
 * Base class: workgroups of ROWS threads over B * H * ceil(T / ROWS) blocks; head size hs fixed per shader.
 * Rows are handled as N = hs / W vectors of type VT (vec4<f32> when W = 4, else f32); `vectorInputs` bind as VT.
 */
abstract class AttentionProgram extends FlatProgram {
  readonly shaderKey: string;
  readonly variableComponents: number[];
  /**
   * The tile's row count again, as a uniform (uniformData()) bounding the loops over a tile's rows: a literal bound
   * lets compilers unroll those loops fully, and Mesa's llvmpipe then takes minutes per shader. GPUs lose nothing:
   * those loops index only workgroup memory; the loops over hs (private arrays) keep literal bounds.
   */
  readonly uniforms = 'tile : i32, ';
  protected readonly tile: number;
  protected readonly hs: number;
  protected readonly W: number;
  protected readonly N: number;
  protected readonly VT: string;
  protected readonly scale: string;

  constructor(
    name: string,
    outputShape: number[],
    B: number,
    T: number,
    H: number,
    hs: number,
    tile: number,
    vectorInputs: boolean[],
  ) {
    super(outputShape, ROWS, B * H * Math.ceil(T / ROWS) * ROWS);
    this.hs = hs;
    this.W = hs % 4 === 0 ? 4 : 1;
    this.N = hs / this.W;
    this.VT = this.W === 4 ? 'vec4<f32>' : 'f32';
    this.variableComponents = vectorInputs.map((v) => (v ? this.W : 1));
    this.scale = f32(1 / Math.sqrt(hs));
    this.tile = tile;
    this.shaderKey = `${name}_${hs}_${tile}_${this.W}`;
  }

  /** Uniform values for runWebGPUProgram. */
  uniformData(): Array<{ type: 'int32'; data: number[] }> {
    return [{ type: 'int32', data: [this.tile] }];
  }

  /** WGSL helpers: dotv (dot of two VT), storeRow (writes a VT to `result`, which is scalar, at a float index). */
  protected helpers(): string {
    const { W, VT } = this;
    const stores =
      W === 4 ? 'result[o] = v.x; result[o + 1] = v.y; result[o + 2] = v.z; result[o + 3] = v.w;' : 'result[o] = v;';
    return `
      fn dotv(a : ${VT}, b : ${VT}) -> f32 { return ${W === 4 ? 'dot(a, b)' : 'a * b'}; }
      fn storeRow(o : i32, v : ${VT}) { ${stores} }`;
  }

  /** WGSL: the workgroup memory of the passes over key tiles (forward, dq): wgGroup, kTile and vTile of `tile` rows. */
  protected keyValueTiles(): string {
    const { VT, N, tile } = this;
    return `
      var<workgroup> wgGroup : i32;
      var<workgroup> kTile : array<${VT}, ${tile * N}>;
      var<workgroup> vTile : array<${VT}, ${tile * N}>;`;
  }

  /**
   * WGSL: `s`, the scores of this thread's (scaled) q against kTile rows c .. c+3, masked to -1e30 past key row
   * `rowc`; `mt`, the running max `m` taking them in.
   */
  protected scores4(): string {
    const { N } = this;
    return `
              var s = vec4<f32>(0.0);
              for (var e = 0; e < ${N}; e = e + 1) {
                let qe = q[e];
                s = s + vec4<f32>(dotv(qe, kTile[c * ${N} + e]), dotv(qe, kTile[(c + 1) * ${N} + e]),
                  dotv(qe, kTile[(c + 2) * ${N} + e]), dotv(qe, kTile[(c + 3) * ${N} + e]));
              }
              s = select(vec4<f32>(-1e30), s, vec4<i32>(j0 + c) + vec4<i32>(0, 1, 2, 3) <= vec4<i32>(rowc));
              let mt = max(m, max(max(s.x, s.y), max(s.z, s.w)));`;
  }

  /**
   * WGSL: stages qkv rows first .. first + rows - 1 (clamped to T - 1) of this head in `tile`, from the part starting
   * `part` vectors into a row (k: Cv); `second` = [tile, offset] stages the part `offset` vectors further too (v: Cv).
   */
  protected loadTile(tile: string, rows: number, first: string, part: string, second?: [string, string]): string {
    const { N } = this;
    return `
          for (var x = i32(localIndex); x < ${rows * N}; x = x + ${ROWS}) {
            let o = (bT + min(${first} + x / ${N}, T - 1)) * 3 * Cv + ${part} + h * ${N} + x % ${N};
            ${tile}[x] = qkv[o];${
              second
                ? `
            ${second[0]}[x] = qkv[o + ${second[1]}];`
                : ''
            }
          }`;
  }
}

/** y (B, T, C) from qkv (B, T, 3C): per four keys of a staged tile, their scores, one rescale of the running sums, their v. */
export class CausalAttentionProgram extends AttentionProgram {
  readonly variableNames = ['qkv'];

  constructor(B: number, T: number, H: number, hs: number) {
    super('nanometaCausalAttention', [B, T, H * hs], B, T, H, hs, tileRows(hs), [true]);
  }

  getUserCode(): string {
    const { hs, W, N, VT, tile: BC, scale } = this;
    return `${this.helpers()}${this.keyValueTiles()}
      fn main(index : i32) {
        ${prologue(hs, W, true)}
        let qo = (bT + rowc) * 3 * Cv + h * ${N};
        var q : array<${VT}, ${N}>;
        var acc : array<${VT}, ${N}>;
        for (var e = 0; e < ${N}; e = e + 1) { q[e] = qkv[qo + e] * ${scale}; acc[e] = ${VT}(0.0); }
        var m = -1e30; // running max of the scaled scores
        var l = 0.0; // running sum of exp(score - m)
        let tiles = (min((block + 1) * ${ROWS}, T) - 1) / ${BC} + 1; // key tiles up to the block's last row
        for (var kt = 0; kt < tiles; kt = kt + 1) {
          let j0 = kt * ${BC};
          workgroupBarrier();${this.loadTile('kTile', BC, 'j0', 'Cv', ['vTile', 'Cv'])}
          workgroupBarrier();
          // Four keys at a time: their scores, one rescale of the running sums, then their values.
          for (var c = 0; c < uniforms.tile; c = c + 4) {
            if (j0 + c > rowc) { break; }${this.scores4()}
            let corr = exp(m - mt);
            let p = exp(s - vec4<f32>(mt)); // 0 for masked keys
            l = l * corr + (p.x + p.y + p.z + p.w);
            for (var e = 0; e < ${N}; e = e + 1) {
              acc[e] = acc[e] * corr + p.x * vTile[c * ${N} + e] + p.y * vTile[(c + 1) * ${N} + e]
                + p.z * vTile[(c + 2) * ${N} + e] + p.w * vTile[(c + 3) * ${N} + e];
            }
            m = mt;
          }
        }
        if (live && row < T) {
          let yo = (bT + row) * C + h * ${hs};
          for (var e = 0; e < ${N}; e = e + 1) { storeRow(yo + e * ${W}, acc[e] / l); }
        }
      }
    `;
  }
}

/**
 * Backward, part 1 (one thread per query row i): lse_i = log sum_j exp(s_ij) by a pass over the key tiles,
 * D_i = dy_i . y_i, then dq_i = scale sum_j P_ij (dy_i . v_j - D_i) k_j. Writes one flat buffer:
 * dq (B*T*C, heads merged), then (lse, D) pairs for (b, h, i) at B*T*C + 2 ((b H + h) T + i).
 */
export class CausalAttentionGradQProgram extends AttentionProgram {
  readonly variableNames = ['qkv', 'y', 'dy'];

  constructor(B: number, T: number, H: number, hs: number) {
    super('nanometaCausalAttentionGradQ', [B * T * H * hs + 2 * B * H * T], B, T, H, hs, tileRows(hs), [
      true,
      true,
      true,
    ]);
  }

  getUserCode(): string {
    const { hs, W, N, VT, tile: BC, scale } = this;
    return `${this.helpers()}${this.keyValueTiles()}
      fn main(index : i32) {
        ${prologue(hs, W, true)}
        let qo = (bT + rowc) * 3 * Cv + h * ${N};
        let go = (bT + rowc) * Cv + h * ${N};
        var q : array<${VT}, ${N}>;
        var g : array<${VT}, ${N}>;
        var dq : array<${VT}, ${N}>;
        var D = 0.0;
        for (var e = 0; e < ${N}; e = e + 1) {
          q[e] = qkv[qo + e] * ${scale};
          g[e] = dy[go + e];
          D = D + dotv(g[e], y[go + e]);
          dq[e] = ${VT}(0.0);
        }
        let tiles = (min((block + 1) * ${ROWS}, T) - 1) / ${BC} + 1;
        var m = -1e30;
        var l = 0.0;
        for (var kt = 0; kt < tiles; kt = kt + 1) {
          let j0 = kt * ${BC};
          workgroupBarrier();${this.loadTile('kTile', BC, 'j0', 'Cv')}
          workgroupBarrier();
          for (var c = 0; c < uniforms.tile; c = c + 4) {
            if (j0 + c > rowc) { break; }${this.scores4()}
            let p = exp(s - vec4<f32>(mt));
            l = l * exp(m - mt) + (p.x + p.y + p.z + p.w);
            m = mt;
          }
        }
        let lse = m + log(l);
        for (var kt = 0; kt < tiles; kt = kt + 1) {
          let j0 = kt * ${BC};
          workgroupBarrier();${this.loadTile('kTile', BC, 'j0', 'Cv', ['vTile', 'Cv'])}
          workgroupBarrier();
          for (var c = 0; c < uniforms.tile; c = c + 1) {
            if (j0 + c > rowc) { break; }
            var sc = 0.0;
            var dp = 0.0;
            for (var e = 0; e < ${N}; e = e + 1) {
              sc = sc + dotv(q[e], kTile[c * ${N} + e]);
              dp = dp + dotv(g[e], vTile[c * ${N} + e]);
            }
            let ds = exp(sc - lse) * (dp - D);
            for (var e = 0; e < ${N}; e = e + 1) { dq[e] = dq[e] + ds * kTile[c * ${N} + e]; }
          }
        }
        if (live && row < T) {
          let dqo = (bT + row) * C + h * ${hs};
          for (var e = 0; e < ${N}; e = e + 1) { storeRow(dqo + e * ${W}, dq[e] * ${scale}); }
          let so = uniforms.qkvShape.x * T * C + 2 * (bh * T + row);
          result[so] = lse;
          result[so + 1] = D;
        }
      }
    `;
  }
}

/**
 * Backward, part 2 (one thread per key row j): over the query tiles from j's block on, with P_ij = exp(s_ij - lse_i),
 * dv_j = sum_i P_ij dy_i and dk_j = scale sum_i P_ij (dy_i . v_j - D_i) q_i. Writes dqkv (B, T, 3C) whole:
 * [dq (copied from part 1) | dk | dv] for this thread's row and head.
 */
export class CausalAttentionGradKVProgram extends AttentionProgram {
  readonly variableNames = ['qkv', 'dy', 'dqStats'];

  constructor(B: number, T: number, H: number, hs: number) {
    super('nanometaCausalAttentionGradKV', [B, T, 3 * H * hs], B, T, H, hs, tileRows(hs, 2), [true, true, false]);
  }

  getUserCode(): string {
    const { hs, W, N, VT, tile: BR, scale } = this;
    return `${this.helpers()}
      var<workgroup> wgGroup : i32;
      var<workgroup> qTile : array<${VT}, ${BR * N}>;
      var<workgroup> gTile : array<${VT}, ${BR * N}>;
      var<workgroup> lseTile : array<f32, ${BR}>;
      var<workgroup> dTile : array<f32, ${BR}>;
      fn main(index : i32) {
        ${prologue(hs, W, false)}
        let ko = (bT + rowc) * 3 * Cv + Cv + h * ${N};
        var k : array<${VT}, ${N}>;
        var v : array<${VT}, ${N}>;
        var dk : array<${VT}, ${N}>;
        var dv : array<${VT}, ${N}>;
        for (var e = 0; e < ${N}; e = e + 1) {
          k[e] = qkv[ko + e];
          v[e] = qkv[ko + Cv + e];
          dk[e] = ${VT}(0.0);
          dv[e] = ${VT}(0.0);
        }
        let statsBase = uniforms.qkvShape.x * T * C + 2 * bh * T;
        let firstTile = (block * ${ROWS}) / ${BR}; // query tiles from the block's first key row on
        let tiles = (T - 1) / ${BR} + 1;
        for (var qt = firstTile; qt < tiles; qt = qt + 1) {
          let i0 = qt * ${BR};
          workgroupBarrier();
          for (var x = i32(localIndex); x < ${BR * N}; x = x + ${ROWS}) {
            let i = min(i0 + x / ${N}, T - 1);
            let e = x % ${N};
            qTile[x] = qkv[(bT + i) * 3 * Cv + h * ${N} + e] * ${scale};
            gTile[x] = dy[(bT + i) * Cv + h * ${N} + e];
          }
          for (var x = i32(localIndex); x < ${BR}; x = x + ${ROWS}) {
            let so = statsBase + 2 * min(i0 + x, T - 1);
            lseTile[x] = dqStats[so];
            dTile[x] = dqStats[so + 1];
          }
          workgroupBarrier();
          // Query rows i >= j (causal) and < T; rows before j come only in the tile holding j.
          for (var r = max(rowc - i0, 0); r < uniforms.tile; r = r + 1) {
            if (i0 + r >= T) { break; }
            var sc = 0.0;
            var dp = 0.0;
            for (var e = 0; e < ${N}; e = e + 1) {
              sc = sc + dotv(qTile[r * ${N} + e], k[e]);
              dp = dp + dotv(gTile[r * ${N} + e], v[e]);
            }
            let p = exp(sc - lseTile[r]);
            let ds = p * (dp - dTile[r]);
            for (var e = 0; e < ${N}; e = e + 1) {
              dv[e] = dv[e] + p * gTile[r * ${N} + e];
              dk[e] = dk[e] + ds * qTile[r * ${N} + e];
            }
          }
        }
        if (live && row < T) {
          let o = (bT + row) * 3 * C + h * ${hs};
          let dqo = (bT + row) * C + h * ${hs};
          for (var e = 0; e < ${hs}; e = e + 1) { result[o + e] = dqStats[dqo + e]; }
          for (var e = 0; e < ${N}; e = e + 1) {
            storeRow(o + C + e * ${W}, dk[e]);
            storeRow(o + 2 * C + e * ${W}, dv[e]);
          }
        }
      }
    `;
  }
}
