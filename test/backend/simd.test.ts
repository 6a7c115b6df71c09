// nanometa's WebAssembly SIMD kernels (simd/, src/backend/simd.ts): the committed simd.wasm is what `npm run
// build:simd` makes of the sources; it has no data segment and imports only the heap (so instantiating it cannot
// write into tfjs-backend-wasm's memory); and each kernel, called on the heap, matches the float64 loops of
// kernels/<op>/cpu.ts, with tails past the blocks of four, extreme logits and labels outside [0, V).
import * as tf from '@tensorflow/tfjs-core';
import asc from 'assemblyscript/asc';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIMD_WASM_PATH, simdKernels, type SimdKernels } from '../../src/backend/simd.js';
import { allocate, f32, pointer, type WasmHeapBackend } from '../../src/backend/wasm-heap.js';
import { causalAttentionGradLoop, causalAttentionLoop } from '../../src/kernels/attention/cpu.js';
import { crossEntropyGradLoop } from '../../src/kernels/cross-entropy/cpu.js';
import { geluGradLoop, geluLoop } from '../../src/kernels/gelu/cpu.js';
import { rowLogSumExpLoop } from '../../src/kernels/logsumexp/cpu.js';
import { layerNormGradLoop, layerNormLoop } from '../../src/kernels/layernorm/cpu.js';
import { columnSumLoop } from '../../src/kernels/linear/cpu.js';
import { testBackends } from './available.js';
import { expectClose, floats } from '../kernels/util.js';

/** Section ids of a WebAssembly binary, in order (the binary format's one-byte id, LEB128 size, payload). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // magic and version
  while (at < bytes.length) {
    ids.push(bytes[at++]);
    let size = 0,
      shift = 0,
      byte: number;
    do {
      byte = bytes[at++];
      size |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    at += size;
  }
  return ids;
}

describe('simd.wasm', () => {
  it('is what npm run build:simd makes of simd/*.ts', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const args = pkg.scripts['build:simd'].split(/\s+/).slice(1); // asc's arguments, --outFile last
    expect(args.slice(-2)).toEqual(['--outFile', 'src/backend/simd.wasm']);
    let built: Uint8Array | undefined;
    const { error } = await asc.main(args, {
      writeFile: (name, contents) => {
        if (name.endsWith('simd.wasm')) built = contents as Uint8Array;
      },
    });
    expect(error).toBeNull();
    expect(Buffer.from(built!).equals(readFileSync(SIMD_WASM_PATH))).toBe(true);
  }, 60_000);

  it('imports only env.memory and has no data segment or start function', () => {
    const bytes = readFileSync(SIMD_WASM_PATH);
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const ids = sectionIds(bytes);
    expect(ids).not.toContain(11); // data
    expect(ids).not.toContain(8); // start
    expect(ids).not.toContain(12); // data count
  });
});

const wasm = (await testBackends()).find((b) => b.label.startsWith('wasm'))!;

describe.skipIf(!!wasm.skip)('the SIMD kernels on the wasm heap', () => {
  let be: WasmHeapBackend;
  let simd: SimdKernels;
  beforeAll(async () => {
    await wasm.init();
    be = tf.backend() as WasmHeapBackend;
    simd = simdKernels(be)!;
    expect(simd).not.toBeNull();
  });

  /** Runs `kernel` on heap copies of `inputs` with a fresh output of `n` floats; returns the output. */
  function run(inputs: (Float32Array | Int32Array)[], n: number, kernel: (ptrs: number[], out: number) => void) {
    const ts = inputs.map((a) => tf.tensor(a, [a.length], a instanceof Int32Array ? 'int32' : 'float32'));
    const [out] = allocate(be, [[n]]);
    kernel(
      ts.map((t) => pointer(be, { dataId: t.dataId, shape: t.shape, dtype: t.dtype })),
      pointer(be, out),
    );
    const got = f32(be, out).slice();
    be.disposeData(out.dataId);
    tf.dispose(ts);
    return got;
  }

  it('attention forward and backward match the float64 loops (T past and inside blocks of 4)', () => {
    for (const [B, T, H, hs] of [
      [1, 1, 1, 4],
      [2, 7, 3, 16],
      [1, 70, 2, 48],
    ]) {
      const d = { B, T, H, hs };
      const qkv = floats(B * T * 3 * H * hs, T, 1.5);
      const dy = floats(B * T * H * hs, T + 1);
      const scratchFloats = Math.ceil(simd.attentionScratchBytes(T, hs) / 4);
      const y = run([qkv, new Float32Array(scratchFloats)], B * T * H * hs, ([q, s], out) =>
        simd.attentionForward(q, out, B, T, H, hs, s),
      );
      expectClose(y, causalAttentionLoop(qkv, d), 2e-6);
      const dqkv = run([qkv, dy, new Float32Array(scratchFloats)], qkv.length, ([q, g, s], out) =>
        simd.attentionBackward(q, g, out, B, T, H, hs, s),
      );
      expectClose(dqkv, causalAttentionGradLoop(qkv, dy, d), 5e-6);
    }
  });

  it('GELU and its gradient match the float64 loops, tail included, from -12 to 12', () => {
    const x = floats(1027, 3, 12);
    const dy = floats(1027, 4);
    expectClose(
      run([x], x.length, ([p], out) => simd.gelu(p, out, x.length)),
      geluLoop(x),
      1e-6,
    );
    const dx = run([x, dy], x.length, ([p, g], out) => simd.geluGrad(p, g, out, x.length));
    expectClose(dx, geluGradLoop(x, dy), 1e-6);
  });

  it('row log-sum-exp and the cross-entropy gradient match the float64 loops (V = 833, logits to ±80)', () => {
    const n = 6,
      V = 833;
    const x = floats(n * V, 5, 80);
    x.fill(-Infinity, 0, V); // a row of -inf: its lse is -inf, as on cpu
    x[V + 3] = NaN; // a row with NaN: NaN
    const lse = run([x], n, ([p], out) => simd.rowLogSumExp(p, out, n, V));
    const ref = rowLogSumExpLoop(x, n, V);
    expect([lse[0], lse[1]]).toEqual([-Infinity, NaN]);
    expectClose(lse.slice(2), ref.slice(2), 1e-6);
    const rows = x.slice(2 * V);
    const labels = Int32Array.from([0, V - 1, -1, V]); // the last two outside [0, V): no one-hot
    const dx = run([rows, ref.slice(2), labels], 4 * V, ([p, l, y], out) =>
      simd.crossEntropyGrad(p, l, y, out, 4, V, 0.25),
    );
    expectClose(dx, crossEntropyGradLoop(rows, ref.slice(2), labels, 4, V, 0.25), 1e-6);
  });

  it('LayerNorm forward and backward and the column sum match the float64 loops (rows offset from 0)', () => {
    const N = 37,
      C = 24,
      eps = 1e-5;
    const x = floats(N * C, 7, 2, 3); // mean ~3: the two-pass variance matters
    const w = floats(C, 8, 1, 1);
    const b = floats(C, 9);
    const dy = floats(N * C, 10);
    const dres = floats(N * C, 11);
    const y = run([x, w, b], N * C, ([px, pw, pb], out) => simd.layerNorm(px, pw, pb, out, N, C, eps));
    expectClose(y, layerNormLoop(x, w, b, N, C, eps), 2e-6);
    const noBias = run([x, w], N * C, ([px, pw], out) => simd.layerNorm(px, pw, 0, out, N, C, eps));
    expectClose(noBias, layerNormLoop(x, w, undefined, N, C, eps), 2e-6);
    // dx, dweight and dbias in one output of N C + 2 C floats, dres added to dx; scratch 2 C float64 after it
    const all = run([x, w, dy, dres, new Float32Array(4 * C)], N * C + 2 * C, ([px, pw, pg, pr, sc], out) =>
      simd.layerNormGrad(px, pw, pg, pr, out, out + 4 * N * C, out + 4 * (N * C + C), N, C, eps, sc),
    );
    const ref = layerNormGradLoop(x, w, dy, N, C, eps);
    expectClose(
      all.slice(0, N * C),
      ref.dx.map((v, i) => v + dres[i]),
      5e-6,
    );
    expectClose(all.slice(N * C, N * C + C), ref.dweight, 2e-6);
    expectClose(all.slice(N * C + C), ref.dbias, 2e-6);
    const sums = run([x, new Float32Array(2 * C)], C, ([px, sc], out) => simd.columnSum(px, out, N, C, sc));
    expectClose(sums, columnSumLoop(x, N, C), 1e-7);
  });
});
