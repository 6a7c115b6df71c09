// The non-stationary data schedule: a fixed seeded permutation of token ids, applied in odd phases only.
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { applyDataSchedule, dataPhase, switchSteps, tokenPermutation } from '../../src/data/nonstationary.js';

const V = 300;
const data = (switchEvery: number | null, seed = 7) => ConfigSchema.parse({ data: { switchEvery, seed } }).data;

function batch(): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(2 * V),
    y = new Int32Array(2 * V);
  for (let i = 0; i < x.length; i++) {
    x[i] = i % V;
    y[i] = (i + 1) % V;
  }
  return { x, y };
}

describe('applyDataSchedule', () => {
  it('is off by default (switchEvery null)', () => {
    expect(ConfigSchema.parse({}).data.switchEvery).toBeNull();
    expect(ConfigSchema.parse({}).data.switchMode).toBe('permute');
    const b = batch();
    applyDataSchedule(b, 5, data(null), V);
    expect(b.x).toEqual(batch().x);
  });

  it('leaves even phases unchanged and permutes odd phases: [0,K) plain, [K,2K) permuted, [2K,3K) plain', () => {
    const cfg = data(10);
    for (const [step, permuted] of [
      [0, false],
      [9, false],
      [10, true],
      [19, true],
      [20, false],
      [35, true],
    ] as const) {
      const b = batch();
      applyDataSchedule(b, step, cfg, V);
      expect(dataPhase(step, 10) % 2 === 1).toBe(permuted);
      const changed = b.x.some((v, i) => v !== batch().x[i]);
      expect(changed, `step ${step}`).toBe(permuted);
    }
  });

  it('is a bijection on [0, V), maps inputs and targets alike and keeps the shift structure', () => {
    const b = batch();
    applyDataSchedule(b, 10, data(10), V);
    // Each id 0..V-1 appears in x[0..V) exactly once, so the image of the identity must be a permutation.
    expect([...b.x.slice(0, V)].sort((p, q) => p - q)).toEqual(Array.from({ length: V }, (_, i) => i));
    const perm = tokenPermutation(7, V);
    for (let i = 0; i < b.x.length; i++) {
      expect(b.x[i]).toBe(perm[i % V]);
      expect(b.y[i]).toBe(perm[(i + 1) % V]);
    }
    const fixed = perm.filter((p, i) => p === i).length;
    expect(fixed).toBeLessThan(10); // a real shuffle (a random permutation fixes ~1 id on average; seed 7 fixes 6)
  });

  it('depends only on (batch, step, cfg): same result twice, other seed gives another permutation', () => {
    const a = batch(),
      b = batch(),
      c = batch();
    applyDataSchedule(a, 13, data(10, 7), V);
    applyDataSchedule(b, 13, data(10, 7), V);
    applyDataSchedule(c, 13, data(10, 8), V);
    expect(a.x).toEqual(b.x);
    expect(c.x).not.toEqual(a.x);
  });

  it('leaves ids at or above the vocabulary (padding) unchanged', () => {
    const b = { x: Int32Array.from([V, V + 5, 0]), y: Int32Array.from([V + 1, 1, 2]) };
    applyDataSchedule(b, 10, data(10), V);
    expect([b.x[0], b.x[1], b.y[0]]).toEqual([V, V + 5, V + 1]);
  });

  it('lists the switch points of a run', () => {
    expect(switchSteps(100, 25)).toEqual([25, 50, 75]);
    expect(switchSteps(100, null)).toEqual([]);
  });
});
