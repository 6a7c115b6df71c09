// Plot specs: which runs and series each plot holds, switch points on the step-size plot, log scales,
// and that each renders to a well-formed SVG in Node.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunGroup } from '../../src/compare/grid.js';
import { lossVsTokensSpec, renderSvg, robustnessSpec, stepSizeSpec } from '../../src/compare/plot.js';
import type { RunSummary } from '../../src/compare/runs.js';
import { checkXml } from './xml.js';

/** The parts of a Vega-Lite spec these tests read. */
type Row = Record<string, unknown>;
interface Layer {
  data: { values: Row[] };
  encoding: { x: { scale: { type: string } }; y: { scale: { type: string } } };
}
interface VegaSpec {
  data: { values: Row[] };
  layer: Layer[];
}

const root = mkdtempSync(join(tmpdir(), 'nanometa-plot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A run folder with 40 logged steps; lr is an array for MetaOptimize runs. */
function run(id: string, group: RunGroup, lr: number, valLoss: number, extra: Partial<RunSummary> = {}): RunSummary {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const meta = group === 'metaoptimize' || group === 'robustness';
  const rows = Array.from({ length: 40 }, (_, i) => ({
    step: i + 1,
    loss: 5 - i / 20,
    lr: meta ? [lr * 1.1 ** i, lr * 1.05 ** i] : lr,
    tokens: (i + 1) * 256,
    ...((i + 1) % 10 === 0 ? { valLoss: valLoss + (40 - i) / 40, trainLoss: 5 - i / 20 } : {}),
  }));
  writeFileSync(join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return {
    spec: {
      id,
      group,
      method: meta ? 'MO(AdamW, Lion) layerwise' : 'AdamW constant',
      optim: meta ? 'mo-adamw-lion-layerwise' : 'adamw',
      sets: {},
      hyper: { lr, schedule: 'constant', ...(meta ? { metaLr: 0.05, blocks: 'layerwise' } : {}) },
    },
    dir,
    status: 'done',
    steps: 40,
    tokens: 40 * 256,
    wallSec: 10,
    finalTrainLoss: valLoss,
    finalValLoss: valLoss,
    bestValLoss: valLoss,
    finalLr: [lr],
    maxLr: lr,
    blockNames: meta ? ['wte.weight', 'h.0.mlp.fc.weight'] : [],
    diverged: false,
    switchEvery: null,
    meanOnlineLoss: 5 - 39 / 40,
    ...extra,
  };
}

describe('compare plots', () => {
  it('loss vs tokens: the chosen baseline and every MetaOptimize run, val and train series', async () => {
    const spec = lossVsTokensSpec([
      run('a1', 'adamw-constant', 1e-3, 2.0),
      run('a2', 'adamw-constant', 1e-2, 2.5),
      run('mo', 'metaoptimize', 1e-5, 2.1),
    ]);
    const view = spec as unknown as VegaSpec;
    const methods = new Set(view.data.values.map((v: Row) => v.method));
    expect([...methods].sort()).toEqual(['AdamW constant (tuned)', 'MO(AdamW, Lion) layerwise']);
    const tuned = view.data.values.filter((v: Row) => v.method === 'AdamW constant (tuned)');
    expect(tuned.filter((v: Row) => v.series === 'val loss')).toHaveLength(4);
    expect(tuned.filter((v: Row) => v.series === 'train loss (logged)')).toHaveLength(40);
    expect(checkXml(await renderSvg(spec))).toBe('svg');
  });

  it('loss vs tokens with several seeds: the mean as a line, min to max as a band', () => {
    const seeded = (seed: number, valLoss: number) => {
      const r = run(`a-s${seed}`, 'adamw-constant', 1e-3, valLoss);
      r.spec.key = 'a';
      r.spec.seed = seed;
      return r;
    };
    const spec = lossVsTokensSpec([seeded(1, 2.0), seeded(2, 2.4)]) as unknown as {
      data: { values: Row[] };
      spec: { layer: { mark: { type: string } }[] };
    };
    expect(spec.spec.layer.map((l) => l.mark.type)).toEqual(['area', 'line']);
    const last = spec.data.values.find((v) => v.series === 'val loss' && v.tokens === 40 * 256)!;
    // the fixture's val loss at step 40 is valLoss + 1/40: seeds 2.025 and 2.425
    expect(last.lo).toBeCloseTo(2.025, 12);
    expect(last.hi).toBeCloseTo(2.425, 12);
    expect(last.loss).toBeCloseTo(2.225, 12);
  });

  it('step sizes: one line per block on a log axis, switch points and the tuned lr marked', async () => {
    const mo = run('mo-sw', 'metaoptimize', 1e-4, 2.0, { switchEvery: 10 });
    const spec = stepSizeSpec(mo, 3e-3);
    const view = spec as unknown as VegaSpec;
    const lines = view.layer[0];
    expect(lines.encoding.y.scale.type).toBe('log');
    expect(new Set(lines.data.values.map((v: Row) => v.block))).toEqual(new Set(['wte.weight', 'h.0.mlp.fc.weight']));
    expect(lines.data.values).toHaveLength(80);
    expect(view.layer[1].data.values[0].lr).toBe(3e-3);
    expect(view.layer[2].data.values).toEqual([{ step: 10 }, { step: 20 }, { step: 30 }]);
    const svg = await renderSvg(spec);
    expect(checkXml(svg)).toBe('svg');
    expect(svg).toContain('data switches every 10 steps');
    expect(svg).toContain('tuned constant lr 3e-3');
  });

  it('robustness: final val loss against alpha0 on a log axis, with the tuned baseline line', async () => {
    const sweep = [
      run('r1', 'robustness', 1e-6, 2.3),
      run('r2', 'robustness', 1e-4, 2.1),
      run('r3', 'robustness', 1e-2, NaN),
    ];
    const spec = robustnessSpec(sweep, { method: 'AdamW constant', loss: 2.05 });
    const view = spec as unknown as VegaSpec;
    expect(view.layer[0].encoding.x.scale.type).toBe('log');
    expect(view.layer[0].data.values).toEqual([
      { alpha0: 1e-6, loss: 2.3 },
      { alpha0: 1e-4, loss: 2.1 },
    ]); // the NaN run is left out
    const svg = await renderSvg(spec);
    expect(checkXml(svg)).toBe('svg');
    expect(svg).toContain('AdamW constant (tuned): 2.050');
  });
});
