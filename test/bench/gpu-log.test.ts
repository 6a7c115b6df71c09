// bench/gpu-log.ts: issue 5's comparison read back from bench/gpu.sh logs — call 3's real H200 log (the numbers
// docs/results/gpu-speed reports) and a log of the parts added since (flags, bench-side variants, A/B pairs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatSummary, summarizeGpuLog } from '../../bench/gpu-log.js';

const call3 = readFileSync(new URL('../../docs/results/gpu-speed/call3-final.log', import.meta.url), 'utf8');

describe('summarizeGpuLog', () => {
  it("reads call 3: ours, the peer and PyTorch per batch, MetaOptimize's overhead, the targets", () => {
    const s = summarizeGpuLog(call3);
    expect(s.card).toBe('NVIDIA H200, 580.159.04, 143771 MiB');
    const tps = (label: string, b: number) => s.rows.find((r) => r.label === label && r.batch === b)?.tokensPerSec;
    expect([16, 64, 128].map((b) => tps('nanometa', b))).toEqual([82107, 131603, 136995]);
    expect([16, 64, 128].map((b) => tps('@genai-fi/nanogpt 1.3.0', b))).toEqual([54489, 199341, 244920]);
    expect([16, 64, 128].map((b) => tps('PyTorch fp32 eager', b))).toEqual([211356, 257896, 268779]);
    expect(s.rows.find((r) => r.label === 'nanometa [scalar]')).toMatchObject({
      batch: 64,
      tokensPerSec: 126416,
      stepMs: 129.6,
    });
    expect(s.rows.some((r) => r.label.includes('profile'))).toBe(false); // a profiled step is not a timing
    // Interleaved pairs 62.65/69.14, 41.29/44.35, 42.52/56.51 ms: fastest of each +7.4%, median pair +10.4%.
    expect(s.metaOverhead).toHaveLength(1);
    expect(s.metaOverhead[0].fastest).toBeCloseTo(44.35 / 41.29 - 1, 6);
    expect(s.metaOverhead[0].medianPair).toBeCloseTo(69.14 / 62.65 - 1, 6);
    const met = Object.fromEntries(s.targets.map((t) => [t.target, [t.value, t.met]]));
    expect(met['nanometa faster than the peer at batch 16']).toEqual(['1.51×', true]);
    expect(met['nanometa faster than the peer at batch 128']).toEqual(['0.56×', false]);
    expect(met['nanometa ≥ 0.5× PyTorch fp32 at batch 16']).toEqual(['0.39×', false]);
    expect(met['nanometa ≥ 1× PyTorch fp32 at batch 64']).toEqual(['0.51×', false]);
    expect(met['MetaOptimize(AdamW, Lion) within 3% of AdamW at batch 16 (fastest run of each)']).toEqual([
      '7.4%',
      false,
    ]);
    const md = formatSummary(s);
    expect(md).toContain('| nanometa | 82.1k (49.89 ms) | 131.6k (124.5 ms) | 137.0k (239.19 ms) |');
    expect(md).toContain(
      '| MetaOptimize(AdamW, Lion) within 3% of AdamW at batch 16 (fastest run of each) | 7.4% | no |',
    );
  });

  it('labels flagged and variant runs apart, takes medians of repeats, and judges the default run', () => {
    const flags = (o: Record<string, unknown> = {}) => ({
      attention: 'fused',
      linear: 'fused',
      optimStep: 'in-place',
      webgpuSoftware: false,
      webgpuProfile: false,
      tokenizeWorkers: 16,
      ...o,
    });
    const line = (o: Record<string, unknown>) => JSON.stringify({ optimizer: 'adamw', flags: flags(), ...o });
    const log = [
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver, 1.0, 1 MiB oops",
      'NVIDIA H100 80GB HBM3, 570.1, 81559 MiB',
      '== linearstock batch 64',
      line({ batch: 64, tokensPerSec: 150000, medianStepMs: 109.2, flags: flags({ linear: 'stock' }) }),
      line({ batch: 64, tokensPerSec: 170000, medianStepMs: 96.4 }),
      line({
        batch: 64,
        tokensPerSec: 160000,
        medianStepMs: 102.4,
        flags: flags({ linear: 'stock', tokenizeWorkers: 2 }),
      }),
      line({ batch: 64, tokensPerSec: 180000, medianStepMs: 91 }),
      '== lnprograms batch 64',
      line({ batch: 64, tokensPerSec: 165000, medianStepMs: 99.3, variants: ['lnprograms'] }),
      '== ours batch 64',
      line({ batch: 64, tokensPerSec: 270000, medianStepMs: 60.7 }),
      '== torch batch 64',
      '[torch fp32] params 20540736 B=64 median step 63.5 ms, 257896 tok/s, 33.15 TFLOP/s, peak mem 11.23 GiB',
      '== peer batch 64',
      '[nanogpt webgpu] RESULT nanogpt@1.3.0 GenAI_NanoGPT_v1 fp32 B=64 T=256 V=50304 d=288 L=6 H=6 params 20536992: median step 0.082 s over 6 steps (3..8), 199341 tok/s, 25.62 TFLOP/s',
    ].join('\n');
    const s = summarizeGpuLog(log);
    expect(s.card).toBe('NVIDIA H100 80GB HBM3, 570.1, 81559 MiB');
    const row = (label: string) => s.rows.find((r) => r.label === label);
    expect(row('nanometa [linearstock] (linear=stock)')).toMatchObject({ tokensPerSec: 155000, runs: 2 });
    expect(row('nanometa [linearstock] (default)')).toMatchObject({ tokensPerSec: 175000, runs: 2 });
    expect(row('nanometa [lnprograms] (--variant lnprograms)')).toMatchObject({ tokensPerSec: 165000, runs: 1 });
    expect(row('nanometa')).toMatchObject({ tokensPerSec: 270000 });
    const met = Object.fromEntries(s.targets.map((t) => [t.target, t.met]));
    expect(met['nanometa ≥ 1× PyTorch fp32 at batch 64']).toBe(true);
    expect(met['nanometa faster than the peer at batch 64']).toBe(true);
    expect(s.metaOverhead).toEqual([]);
  });
});
