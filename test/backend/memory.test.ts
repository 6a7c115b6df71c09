// Memory helpers: live tensor counts and bytes, peak bytes under tf.profile, byte formatting.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, measurePeak, memorySnapshot } from '../../src/backend/memory.js';
import { setUpBackend } from '../../src/kernels/register.js';

describe('memory helpers (cpu)', () => {
  beforeAll(async () => {
    await setUpBackend('cpu');
  });

  it('memorySnapshot counts a new tensor and its bytes', () => {
    const before = memorySnapshot();
    const t = tf.zeros([10, 10]);
    const after = memorySnapshot();
    expect(after.numTensors - before.numTensors).toBe(1);
    expect(after.numBytes - before.numBytes).toBe(400);
    expect(after.gpuBytesAllocated).toBeUndefined();
    t.dispose();
  });

  it('measurePeak sees an intermediate that is freed before the end', async () => {
    const { result, peakBytes } = await measurePeak(() => tf.tidy(() => tf.sum(tf.ones([256, 256])))); // 256 KiB live inside
    expect(await result.data()).toEqual(new Float32Array([65536]));
    expect(peakBytes).toBeGreaterThanOrEqual(256 * 256 * 4);
    result.dispose();
  });

  it('formatBytes uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
