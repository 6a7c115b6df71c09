// NanometaLayerNormGrad, as registered on the active backend, against the float64 loop: shared by the kernel's
// tests and bench/layernorm's variant test.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { countDispatches } from '../../src/backend/webgpu-raw.js';
import { layerNormGradLoop } from '../../src/kernels/layernorm/cpu.js';
import { expectClose, floats } from './util.js';

// The backward kernel itself, dres included, on each WebGPU path vs the float64 loop (+ dres). Rows: 37 (one row
// per chunk), 1031 and 2100 (2 and 3 rows per chunk, the last chunk short); C 48 and 288 (the 15m model's).
export const GRAD_SHAPES: Array<[number, number]> = [
  [37, 48],
  [1031, 48],
  [2100, 48],
  [1031, 288],
];

/** runKernel(NanometaLayerNormGrad) vs layerNormGradLoop (+ dres), every output, with and without dres and bias. */
export async function expectGradKernel(N: number, C: number, seed: number): Promise<void> {
  const x = floats(N * C, seed, 2, 0.5);
  const w = floats(C, seed + 1, 1, 1);
  const dy = floats(N * C, seed + 2, 3);
  const dres = floats(N * C, seed + 3, 1);
  const loop = layerNormGradLoop(x, w, dy, N, C, 1e-5);
  const dxRes = loop.dx.map((v, i) => v + dres[i]);
  for (const withRes of [false, true]) {
    for (const withBias of [false, true]) {
      const inputs: tf.NamedTensorMap = {
        x: tf.tensor2d(x, [N, C]),
        weight: tf.tensor1d(w),
        dy: tf.tensor2d(dy, [N, C]),
      };
      if (withRes) inputs.dres = tf.tensor2d(dres, [N, C]);
      const out = tf.engine().runKernel('NanometaLayerNormGrad', inputs, {
        eps: 1e-5,
        withBias,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      expect(out.map((t) => t.shape)).toEqual(withBias ? [[N, C], [C], [C]] : [[N, C], [C]]);
      expectClose(await out[0].data(), withRes ? dxRes : loop.dx); // a WGSL compile error would leave zeros
      expectClose(await out[1].data(), loop.dweight, 2e-4);
      if (withBias) expectClose(await out[2].data(), loop.dbias, 2e-4);
      tf.dispose([...out, ...Object.values(inputs)]);
    }
  }
}

/** Inputs of a backward with dres: x and dy from the LCG, weight and dres ones. */
export function gradInputs(N: number, C: number): tf.NamedTensorMap {
  return {
    x: tf.tensor2d(floats(N * C, 7), [N, C]),
    weight: tf.ones([C]),
    dy: tf.tensor2d(floats(N * C, 8), [N, C]),
    dres: tf.ones([N, C]),
  };
}

/** WebGPU dispatches of one NanometaLayerNormGrad after a compiling warm-up; asserts numTensors is unchanged after. */
export async function gradDispatches(inputs: tf.NamedTensorMap, withBias: boolean): Promise<number> {
  const run = () =>
    tf
      .engine()
      .runKernel('NanometaLayerNormGrad', inputs, { eps: 1e-5, withBias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  tf.dispose(run()); // warm-up: compiles
  const before = tf.memory().numTensors;
  const { result, dispatches } = await countDispatches(async () => {
    const out = run();
    await out[1].data();
    return out;
  });
  expect(tf.memory().numTensors).toBe(before + result.length);
  tf.dispose(result);
  expect(tf.memory().numTensors).toBe(before);
  return dispatches;
}
