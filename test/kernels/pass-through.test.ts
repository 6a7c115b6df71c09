// tfjs's Identity on wasm is nanometa's pass-through (a second handle on the data, as on cpu), not the backend's copy:
// tf.clone and customGrad's saved inputs add no buffer, and the handle outlives the tensor it came from.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../src/kernels/register.js';
import { testBackends } from '../backend/available.js';

const wasm = (await testBackends()).find((b) => b.label.startsWith('wasm'))!;

describe.skipIf(!!wasm.skip)('Identity on wasm', () => {
  beforeAll(async () => {
    await setUpBackend('wasm');
  });

  it('shares the data: no new buffer, values kept after the original is disposed', async () => {
    const x = tf.tensor([1, 2, 3], [3]);
    const buffers = tf.engine().backend.numDataIds();
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(buffers - 1);
  });

  it('still copies strings (the backend keeps them off the heap)', async () => {
    const s = tf.tensor(['a', 'b']);
    const c = tf.clone(s);
    expect(await c.data()).toEqual(['a', 'b']);
    tf.dispose([s, c]);
  });
});
