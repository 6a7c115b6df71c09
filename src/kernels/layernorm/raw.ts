// WebGPU NanometaLayerNormGrad in 2 dispatches (as tfjs programs, which have one fresh output each, it takes 3-4:
// bench/layernorm/programs.ts): raw passes (backend/webgpu-raw.ts) that write several outputs. Pass 1, per chunk of rows:
// dx of its rows (+ dres) and the chunk's column sums of dy·x̂ and dy; pass 2: those partials into dweight, dbias.
import * as tf from '@tensorflow/tfjs-core';
import { runRawPass } from '../../backend/webgpu-raw.js';
import { sum, workgroupReductions } from '../program-base.js';
import { layerNormTiling } from './program.js';

/**
 * At most this many chunks of whole rows (pass 1's workgroups, pass 2's partial rows): N = 4096 rows (B16, T256)
 * gives 1024 chunks of 4. More chunks mean more parallel dx work but a longer column sum.
 */
const MAX_RAW_CHUNKS = 1024;

/** Pass 2's workgroup: TILE consecutive partial columns (one 32-byte sector per row) × LANES rows at a time. */
const TILE = 8;
const LANES = 32;

/** Rows per chunk and chunks for N rows. */
export function rawChunking(N: number, maxChunks = MAX_RAW_CHUNKS): { rowsPerChunk: number; chunks: number } {
  const rowsPerChunk = Math.max(1, Math.ceil(N / maxChunks));
  return { rowsPerChunk, chunks: Math.max(1, Math.ceil(N / rowsPerChunk)) };
}

/**
 * Pass 1: workgroup `chunk` handles rows chunk·R .. chunk·R + R - 1, one row at a time held in registers (K values
 * per thread): mean (one reduction), then Σ (x-mean)², Σ dyw, Σ dyw·(x-mean) (one vec4 reduction), dx, and the
 * running column sums of dy·x̂ (and dy) in registers, written once as row `chunk` of partials (chunks, P·C).
 */
export function gradRowsHelpers(C: number): string {
  const { WG } = layerNormTiling(C);
  return `
${workgroupReductions('red1', 'f32', WG, { wgSum1: sum })}
${workgroupReductions('red4', 'vec4<f32>', WG, { wgSum4: sum })}
fn col(k : i32) -> i32 { return i32(localIndex) + k * ${WG}; }`;
}

/** Pass 1's main body (bindings x, weight, dy, dres?, dx, partials). */
export function gradRowsMain(C: number, withResidual: boolean, withBias: boolean): string {
  const { K } = layerNormTiling(C);
  const P = withBias ? 2 : 1;
  return `
  let chunk = wgi;
  let N = uniforms.N;
  var v : array<f32, ${K}>;
  var accW : array<f32, ${K}>;${withBias ? `\n  var accB : array<f32, ${K}>;` : ''}
  for (var k = 0; k < ${K}; k = k + 1) { accW[k] = 0.0;${withBias ? ' accB[k] = 0.0;' : ''} }
  // uniform loop bound and no early return: every thread reaches every barrier
  for (var i = 0; i < uniforms.rowsPerChunk; i = i + 1) {
    let row = chunk * uniforms.rowsPerChunk + i;
    let o = min(row, N - 1) * ${C};
    var s = 0.0;
    for (var k = 0; k < ${K}; k = k + 1) {
      let c = col(k);
      var e = 0.0;
      if (c < ${C}) { e = x[o + c]; }
      v[k] = e;
      s = s + e;
    }
    let mean = wgSum1(s) / ${C}.0;
    var acc = vec4<f32>(0.0, 0.0, 0.0, 0.0); // (Σ (x-mean)², Σ dyw, Σ dyw (x-mean), 0)
    for (var k = 0; k < ${K}; k = k + 1) {
      let c = col(k);
      if (c < ${C}) {
        let d = v[k] - mean;
        v[k] = d;
        let gw = dy[o + c] * weight[c];
        acc = acc + vec4<f32>(d * d, gw, gw * d, 0.0);
      }
    }
    let t = wgSum4(acc);
    let rstd = 1.0 / sqrt(t.x / ${C}.0 + uniforms.eps); // inverseSqrt is ~12 bits on some adapters
    let a = t.y / ${C}.0; // mean(dyw)
    let b = t.z * rstd / ${C}.0; // mean(dyw x̂)
    if (row < N) {
      for (var k = 0; k < ${K}; k = k + 1) {
        let c = col(k);
        if (c < ${C}) {
          let xhat = v[k] * rstd;
          let g = dy[o + c];
          dx[o + c] = rstd * (g * weight[c] - a - xhat * b)${withResidual ? ' + dres[o + c]' : ''};
          accW[k] = accW[k] + g * xhat;${withBias ? '\n          accB[k] = accB[k] + g;' : ''}
        }
      }
    }
  }
  if (chunk < uniforms.chunks) {
    for (var k = 0; k < ${K}; k = k + 1) {
      let c = col(k);
      if (c < ${C}) {
        partials[chunk * ${P * C} + c] = accW[k];${withBias ? `\n        partials[chunk * ${P * C} + ${C} + c] = accB[k];` : ''}
      }
    }
  }`;
}

/**
 * Pass 2: column q of partials (chunks, P·C) summed over its rows into dweight[q] (q < C) or dbias[q - C]; a
 * workgroup takes TILE consecutive columns, its LANES lanes stride over the rows, then a tree over the lanes.
 */
export const gradColumnsHelpers = (): string => `var<workgroup> red : array<f32, ${TILE * LANES}>;`;

/** Pass 2's main body (bindings partials, dweight, dbias?). */
export function gradColumnsMain(C: number, withBias: boolean): string {
  const P = withBias ? 2 : 1;
  return `
  let q = wgi * ${TILE} + i32(li % ${TILE}u);
  let lane = i32(li / ${TILE}u);
  var s = 0.0;
  if (q < ${P * C}) {
    for (var j = lane; j < uniforms.chunks; j = j + ${LANES}) { s = s + partials[j * ${P * C} + q]; }
  }
  red[li] = s;
  workgroupBarrier();
  for (var h = ${(LANES / 2) * TILE}u; h >= ${TILE}u; h = h >> 1u) {
    if (li < h) { red[li] = red[li] + red[li + h]; }
    workgroupBarrier();
  }
  if (li < ${TILE}u && q < ${P * C}) {
    ${withBias ? `if (q < ${C}) { dweight[q] = red[li]; } else { dbias[q - ${C}] = red[li]; }` : 'dweight[q] = red[li];'}
  }`;
}

/** The backend calls this kernel's outputs need: fresh tensor data, and releasing a temporary. */
interface Allocator {
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** dx (N, C), dweight (C), dbias (C)? from x (N, C), weight (C), dy (N, C), dres (N, C)?: two raw passes. */
export function layerNormGradRaw(
  backend: unknown,
  x: tf.TensorInfo,
  weight: tf.TensorInfo,
  dy: tf.TensorInfo,
  dres: tf.TensorInfo | undefined,
  eps: number,
  withBias: boolean,
): tf.TensorInfo[] {
  const gpu = backend as Allocator;
  const [N, C] = x.shape;
  const P = withBias ? 2 : 1;
  const { rowsPerChunk, chunks } = rawChunking(N);
  const dx = gpu.makeTensorInfo([N, C], 'float32');
  const partials = gpu.makeTensorInfo([chunks, P * C], 'float32');
  const ins = dres ? [x, weight, dy, dres] : [x, weight, dy];
  const r = dres ? 'r' : '';
  const b = withBias ? 'b' : '';
  const names = ['x', 'weight', 'dy', 'dres'];
  runRawPass({
    key: `nanometaLayerNormGradRows_${C}_${r}${b}`,
    name: 'NanometaLayerNormGradRows',
    bindings: [
      ...ins.map((tensor, i) => ({ name: names[i], tensor })),
      { name: 'dx', tensor: dx, write: true },
      { name: 'partials', tensor: partials, write: true },
    ],
    uniforms: [
      { name: 'eps', type: 'f32', value: eps },
      { name: 'N', type: 'i32', value: N },
      { name: 'rowsPerChunk', type: 'i32', value: rowsPerChunk },
      { name: 'chunks', type: 'i32', value: chunks },
    ],
    workgroupSize: layerNormTiling(C).WG,
    workgroups: chunks,
    helpers: () => gradRowsHelpers(C),
    main: () => gradRowsMain(C, dres !== undefined, withBias),
  });
  const dweight = gpu.makeTensorInfo([C], 'float32');
  const dbias = withBias ? gpu.makeTensorInfo([C], 'float32') : undefined;
  runRawPass({
    key: `nanometaLayerNormGradColumns_${C}_${b}`,
    name: 'NanometaLayerNormGradColumns',
    bindings: [
      { name: 'partials', tensor: partials },
      { name: 'dweight', tensor: dweight, write: true },
      ...(dbias ? [{ name: 'dbias', tensor: dbias, write: true }] : []),
    ],
    uniforms: [{ name: 'chunks', type: 'i32', value: chunks }],
    workgroupSize: TILE * LANES,
    workgroups: Math.ceil((P * C) / TILE),
    helpers: gradColumnsHelpers,
    main: () => gradColumnsMain(C, withBias),
  });
  gpu.disposeData(partials.dataId); // its buffer stays until the queued passes are submitted (commandQueueOwnedIds)
  return dbias ? [dx, dweight, dbias] : [dx, dweight];
}
