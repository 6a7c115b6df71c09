// End to end with the real train.ts: the quick suite on tinystories-tiny, shrunk to a few steps of a tiny
// model, produces every run folder, report file, csv row and a valid SVG, with the grid's settings applied.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCompare } from '../../src/compare/compare.js';
import { readRunConfig } from '../../src/compare/runs.js';
import { checkXml } from './xml.js';

const out = mkdtempSync(join(tmpdir(), 'nanometa-compare-e2e-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const TINY = [
  'model.nLayer=1',
  'model.nHead=2',
  'model.nEmbd=32',
  'model.blockSize=32',
  'train.batchSize=4',
  'train.evalIters=1',
  'train.evalInterval=2',
  'train.logInterval=1',
  `data.cacheDir=${join(out, 'data')}`,
  'data.syntheticStories=300',
];

describe('compare quick suite with the real train.ts', () => {
  it('runs 21 tiny runs (5 tuning-free) and writes report.md, runs.csv and valid plots', async () => {
    const { summaries, plots } = await runCompare({
      config: 'tinystories-tiny',
      suite: 'quick',
      steps: 4,
      jobs: 2,
      outDir: out,
      sets: TINY,
      backend: 'cpu',
      log: () => {},
    });
    expect(summaries).toHaveLength(21);
    for (const s of summaries) {
      expect(s.status, s.spec.id).toBe('done');
      expect(s.steps).toBe(4);
      expect(Number.isFinite(s.finalValLoss), s.spec.id).toBe(true);
      expect(s.tokens).toBe(4 * 4 * 32);
      const cfg = readRunConfig(s.dir)!;
      expect(cfg.optimizer.lr).toBeCloseTo(s.spec.hyper.lr, 12); // the grid's lr reached train.ts
      expect(cfg.model.nEmbd).toBe(32);
      if (s.spec.group === 'metaoptimize' || s.spec.group === 'robustness') {
        expect(cfg.optimizer.metaOptimize!.blocks).toBe(s.spec.hyper.blocks);
        expect(cfg.optimizer.metaOptimize!.meta.lr).toBe(s.spec.hyper.metaLr);
        expect(s.finalLr).toHaveLength(s.blockNames.length);
        expect(s.blockNames.length > 1).toBe(s.spec.hyper.blocks === 'layerwise');
      } else if (s.spec.group === 'tuning-free') {
        expect(cfg.optimizer.base.type).toBe(s.spec.optim === 'mechanic-adamw' ? 'mechanic' : s.spec.optim); // the preset reached train.ts
        expect(s.finalLr[0]).toBeGreaterThan(0); // its effective step size was logged
      } else {
        expect(cfg.optimizer.metaOptimize).toBeNull();
        expect(cfg.optimizer.schedule.type).toBe(s.spec.hyper.schedule);
        expect(cfg.optimizer.base.weightDecay).toBe(0.1);
      }
    }
    const csv = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(22);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(
      /\| AdamW constant \(tuned\) \| lr = [0-9e-]+ \| \d\.\d{3} \| \d\.\d{3} \| \d\.\d{3} \| 512 \|/,
    );
    expect(report).toContain('## What it shows');
    expect(plots).toHaveLength(12); // loss vs tokens, learned vs cosine schedule, 4 variants + 5 tuning-free step sizes, alpha0
    for (const p of plots) expect(checkXml(readFileSync(join(out, p), 'utf8'))).toBe('svg');
  }, 600_000);
});
