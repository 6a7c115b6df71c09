// Chunk sizing of the LM head + cross-entropy: the configured bytes, capped by what the backend can bind
// in one buffer (Mesa's software WebGPU adapter: 128 MiB; cpu: no limit).
import { describe, expect, it } from 'vitest';
import { setUpBackend } from '../../src/kernels/register.js';
import { maxBindingBytes } from '../../src/kernels/limits.js';
import { chunkRows } from '../../src/model/loss.js';
import { testBackends } from '../backend/available.js';

const webgpu = (await testBackends()).find((b) => b.label.startsWith('webgpu'))!;

describe('chunkRows', () => {
  it('on cpu: rows of fp32 logits that fit the configured bytes, at least one', async () => {
    await setUpBackend('cpu');
    expect(maxBindingBytes()).toBe(Infinity);
    expect(chunkRows(50304, 1024 ** 3)).toBe(Math.floor(1024 ** 3 / (50304 * 4))); // 5336
    expect(chunkRows(50304, 1024)).toBe(1);
  });

  it.skipIf(webgpu.skip)('on WebGPU: capped by the adapter binding limit', async () => {
    await webgpu.init();
    const limit = maxBindingBytes();
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThan(1024 ** 3); // the software adapter binds at most 128 MiB
    expect(chunkRows(50304, 1024 ** 3)).toBe(Math.floor(limit / (50304 * 4)));
    await setUpBackend('cpu');
  });
});
