// Report sentences and tables follow the numbers: wins, ties and losses of MetaOptimize, grid-edge
// warnings, cost of tuning, the alpha0 sweep, step sizes after data switches, and runs.csv rows.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunGroup, RunSpec } from '../../src/compare/grid.js';
import {
  ablationRows,
  ablationSection,
  claimSentences,
  methodRows,
  renderReport,
  reportSentences,
  runsCsv,
  switchSentences,
} from '../../src/compare/report.js';
import type { RunSummary, SuiteState } from '../../src/compare/runs.js';

function run(
  id: string,
  group: RunGroup,
  lr: number,
  valLoss: number,
  extra: Partial<RunSummary> = {},
  optim = 'adamw',
): RunSummary {
  const meta = group === 'metaoptimize' || group === 'robustness';
  const spec: RunSpec = {
    id,
    group,
    optim: meta ? optim : group === 'lion-constant' ? 'lion' : group === 'adamw-cosine' ? 'adamw-cosine' : 'adamw',
    method: meta
      ? 'MO(AdamW, Lion) scalar'
      : group === 'adamw-constant'
        ? 'AdamW constant'
        : group === 'lion-constant'
          ? 'Lion constant'
          : 'AdamW warmup + cosine',
    sets: {},
    hyper: meta
      ? { lr, schedule: 'constant', metaLr: 0.05, blocks: 'scalar' }
      : { lr, schedule: group === 'adamw-cosine' ? 'cosine' : 'constant', warmupSteps: 5 },
  };
  return {
    spec,
    dir: '/nonexistent',
    status: 'done',
    steps: 100,
    tokens: 51200,
    wallSec: 60,
    finalTrainLoss: valLoss - 0.05,
    finalValLoss: valLoss,
    bestValLoss: valLoss,
    finalLr: [lr],
    maxLr: lr,
    blockNames: [],
    diverged: false,
    switchEvery: null,
    meanOnlineLoss: valLoss + 0.1,
    ...extra,
  };
}

const grids = () => [
  run('adamw-lr1e-3', 'adamw-constant', 1e-3, 2.1),
  run('adamw-lr3e-3', 'adamw-constant', 3e-3, 2.0),
  run('adamw-lr1e-2', 'adamw-constant', 1e-2, 2.3),
  run('adamw-cosine-lr3e-3', 'adamw-cosine', 3e-3, 1.95),
  run('adamw-cosine-lr1e-2', 'adamw-cosine', 1e-2, 2.2),
];

describe('compare report', () => {
  it('says by how much MetaOptimize loses to each tuned baseline', () => {
    const mo = run('mo-adamw-lion-a3e-5', 'metaoptimize', 3e-5, 2.2, { finalLr: [1.5e-3], maxLr: 2e-3, wallSec: 66 });
    const text = reportSentences([...grids(), mo], 100).join('\n');
    expect(text).toContain('Lowest final val loss: AdamW warmup + cosine (1.950, peak lr = 3e-3');
    // (2.2 - 2.0) / 2.0 = 10.0% worse; (2.2 - 1.95) / 1.95 = 12.8% worse.
    expect(text).toContain(
      'started untuned at α0 = 3e-5 (100× below the tuned AdamW constant lr 3e-3), ended at val loss 2.200, 10.0% worse than tuned AdamW constant (2.000) and 12.8% worse than the best tuned baseline, AdamW warmup + cosine (1.950)',
    );
    expect(text).toContain('its step size ended at 1.5e-3 (largest 2.0e-3)');
    expect(text).toContain(
      'Overall, 0 of 1 MetaOptimize variants reached a final val loss at or below the best tuned baseline',
    );
    // Cost: 5 grid runs x 60 s = 5m 00s, 500 steps, 5 x 51200 tokens; one MO run 66 s -> 300/66 = 4.5x; per step 10% more.
    expect(text).toContain(
      'Tuning the baselines by grid search took 5 runs, 500 steps, 256.0k tokens and 5m 00s of run time',
    );
    expect(text).toContain('4.5× less wall time than all the grids');
    expect(text).toContain('steps and tokens are the load-independent cost');
    expect(text).not.toContain('grid is not unimodal');
    expect(text).toMatch(/η was raised from the paper's 1e-3 to 0.05/);
  });

  it('reports wins and ties as such, and warns when a tuned lr sits at the edge of its grid', () => {
    const better = run('mo-adamw-lion-a3e-5', 'metaoptimize', 3e-5, 1.9);
    const text = reportSentences([...grids(), better], 100).join('\n');
    expect(text).toContain('5.0% better than tuned AdamW constant (2.000)');
    expect(text).toContain('Overall, 1 of 1 MetaOptimize variants');
    expect(text).toContain('The chosen AdamW warmup + cosine lr 3e-3 is at the lower edge of its grid');
    expect(text).not.toContain('The chosen AdamW constant lr');
    const tie = run('mo-adamw-lion-a3e-5', 'metaoptimize', 3e-5, 2.004);
    expect(reportSentences([...grids(), tie], 100).join('\n')).toContain(
      'within 0.5% of tuned AdamW constant (2.000), a tie',
    );
  });

  it('flags a grid whose losses go down, up and down again along the lr axis as noisy', () => {
    const runs = [
      run('a1', 'adamw-constant', 1e-3, 4.173),
      run('a2', 'adamw-constant', 3e-3, 4.318),
      run('a3', 'adamw-constant', 1e-2, 4.185),
    ];
    expect(reportSentences(runs, 100).join('\n')).toContain(
      'The AdamW constant grid is not unimodal in lr (final val loss 4.173 at 1e-3, 4.318 at 3e-3, 4.185 at 1e-2)',
    );
  });

  it('says when the learned step size first reached the tuned lr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nanometa-report-climb-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // alpha = 3e-5 * 2^(step/10): crosses the tuned 3e-3 (100x) at step 10 * log2(100) = 66.4 -> first logged step 70.
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      Array.from({ length: 10 }, (_, i) =>
        JSON.stringify({ step: 10 * (i + 1), loss: 3, lr: [3e-5 * 2 ** (i + 1)] }),
      ).join('\n'),
    );
    const mo = run('mo', 'metaoptimize', 3e-5, 2.2, { dir, steps: 100 });
    expect(reportSentences([...grids(), mo], 100).join('\n')).toContain(
      'first reached the tuned lr 3e-3 at step 70 of 100',
    );
    const slow = run('mo', 'metaoptimize', 3e-5, 2.2, { dir, steps: 100 });
    writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ step: 10, loss: 3, lr: [1e-4] }));
    expect(reportSentences([...grids(), slow], 100).join('\n')).toContain(
      'its step size never reached the tuned lr 3e-3',
    );
  });

  it('leaves diverged runs out of the best choice and names them', () => {
    const runs = [...grids(), run('adamw-lr3e-2', 'adamw-constant', 3e-2, NaN, { diverged: true, status: 'failed' })];
    expect(methodRows(runs).find((r) => r.group === 'adamw-constant')!.run!.spec.id).toBe('adamw-lr3e-3');
    expect(reportSentences(runs, 100).join('\n')).toContain(
      '1 run(s) failed or diverged and were left out of every "best" choice: adamw-lr3e-2.',
    );
  });

  it('summarises the alpha0 sweep: range, spread and orders of magnitude', () => {
    const sweep = [
      run('r1', 'robustness', 1e-6, 2.2),
      run('r2', 'robustness', 1e-4, 2.1),
      run('r3', 'robustness', 1e-2, 2.31),
    ];
    const text = reportSentences([...grids(), ...sweep], 100).join('\n');
    // spread (2.31 - 2.1) / 2.1 = 10.0%
    expect(text).toContain(
      'from α0 = 1e-6 to 1e-2 (3 runs, 4 orders of magnitude) ended between 2.100 (α0 = 1e-4) and 2.310 (α0 = 1e-2), a spread of 10.0%; the best tuned baseline reached 1.950',
    );
  });

  it('counts the switches after which the learned step size rose (continual setting)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nanometa-report-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // switchEvery 10 over 40 steps: alpha rises after the switches at 10 and 30, falls after 20.
    const alpha = (s: number) =>
      s < 10
        ? 1e-4
        : s < 20
          ? 1e-4 * 2 ** ((s - 10) / 5)
          : s < 30
            ? 4e-4 / 2 ** ((s - 20) / 5)
            : 1e-4 * 3 ** ((s - 30) / 5);
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ step: i + 1, loss: 3, lr: [alpha(i + 1), alpha(i + 1)] }),
      ).join('\n'),
    );
    const mo = run('mo', 'metaoptimize', 1e-4, 2, { dir, steps: 40, switchEvery: 10 });
    expect(switchSentences([mo])).toEqual([
      'Continual setting (distribution switched every 10 steps): the step size of MO(AdamW, Lion) scalar rose in the half-phase after 2 of 3 switches (geometric-mean step size ×2.00, ×0.50, ×3.00).',
    ]);
  });

  it('renders the table with the chosen run and cost per method, and one csv row per run', () => {
    const runs = [...grids(), run('mo-adamw-lion-a3e-5', 'metaoptimize', 3e-5, 2.2)];
    const state = { suite: 'quick', config: 'tinystories-tiny', steps: 100, sets: ['model.nLayer=1'] } as SuiteState;
    const md = renderReport(state, runs, ['loss-vs-tokens.svg']);
    expect(md).toContain(
      '| AdamW constant (tuned) | lr = 3e-3 | 1.950 | 2.000 | 2.000 | 51.2k | 1m 00s | 3 · 300 · 153.6k · 3m 00s |',
    );
    expect(md).toContain(
      '| MO(AdamW, Lion) scalar | α0 = 3e-5, η = 0.05, scalar | 2.150 | 2.200 | 2.200 | 51.2k | 1m 00s | 1 · 100 · 51.2k · 1m 00s |',
    );
    expect(md).toContain('![loss-vs-tokens.svg](loss-vs-tokens.svg)');
    expect(md).toContain('`--set model.nLayer=1`');
    const csv = runsCsv(runs).trim().split('\n');
    expect(csv).toHaveLength(runs.length + 1);
    expect(csv[2]).toBe(
      'adamw-lr3e-3,,adamw-constant,AdamW constant,adamw,0.003,constant,5,,,done,false,100,51200,60.0,1.95,2,2,3.0000e-3,0.003',
    );
  });

  it('answers the three claims from seed means: within 3% of cosine, flat over alpha0, warm-up then decay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nanometa-report-claims-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    /** Run of `key` on `seed` (the id gets -s<seed>, as compare --seeds makes them). */
    const seeded = (
      key: string,
      group: RunGroup,
      lr: number,
      loss: number,
      seed: number,
      extra: Partial<RunSummary> = {},
    ) => {
      const r = run(`${key}-s${seed}`, group, lr, loss, extra);
      r.spec.key = key;
      r.spec.seed = seed;
      return r;
    };
    // alpha: 1e-5 -> peak 1e-3 at step 50 -> 2e-4 at step 100 (rise x100, end 0.2 x peak)
    const path = join(dir, 'mo');
    mkdirSync(path);
    writeFileSync(
      join(path, 'metrics.jsonl'),
      [10, 50, 100].map((step, i) => JSON.stringify({ step, loss: 3, lr: [[1e-5, 1e-3, 2e-4][i]] })).join('\n'),
    );
    const runs = [
      seeded('adamw-cosine-lr3e-3', 'adamw-cosine', 3e-3, 2.0, 1),
      seeded('adamw-cosine-lr3e-3', 'adamw-cosine', 3e-3, 2.02, 2),
      seeded('adamw-cosine-lr1e-2', 'adamw-cosine', 1e-2, 2.1, 1),
      // seed 1: 2.03, seed 2: 2.05 -> mean 2.04, +1.5% against cosine's mean 2.01
      seeded('mo-adamw-lion-a1e-5', 'metaoptimize', 1e-5, 2.03, 1, { dir: path }),
      seeded('mo-adamw-lion-a1e-5', 'metaoptimize', 1e-5, 2.05, 2, { dir: path }),
      seeded('robust-a1e-6', 'robustness', 1e-6, 2.2, 1),
      seeded('robust-a1e-2', 'robustness', 1e-2, 2.1, 1),
    ];
    const rows = methodRows(runs);
    const cosine = rows.find((r) => r.group === 'adamw-cosine')!;
    expect(cosine.runs.map((r) => r.spec.id)).toEqual(['adamw-cosine-lr3e-3-s1', 'adamw-cosine-lr3e-3-s2']);
    expect(cosine.val.mean).toBeCloseTo(2.01, 12);
    expect(cosine.val.std).toBeCloseTo(0.02 / Math.SQRT2, 12);
    expect(cosine.cost.runs).toBe(2); // the seed-1 grid only: the seed-2 rerun is not tuning
    const text = claimSentences(rows, runs).join('\n');
    // (2.04 - 2.01) / 2.01 = 1.49%; standard error sqrt(0.01414^2/2 + 0.01414^2/2) / 2.01 = 0.70%
    expect(text).toContain(
      'Claim 1, untuned MetaOptimize within a few percent (≤ 3%) of tuned AdamW + cosine, or better: holds here. Against tuned AdamW + cosine (2.010 ± 0.014 (2 seeds)): MO(AdamW, Lion) scalar +1.5% (± 0.7% standard error).',
    );
    // A second variant 6% above cosine: the claim holds for the one within 3%, named.
    const layerwise = seeded('mo-adamw-lion-layerwise-a1e-5', 'metaoptimize', 1e-5, 2.1306, 1, { dir: path });
    layerwise.spec.method = 'MO(AdamW, Lion) layerwise';
    const mixed = claimSentences(methodRows([...runs, layerwise]), [...runs, layerwise]).join('\n');
    expect(mixed).toContain(
      'or better: holds for 1 of 2 variants here (MO(AdamW, Lion) scalar). Against tuned AdamW + cosine (2.010 ± 0.014 (2 seeds)): MO(AdamW, Lion) scalar +1.5% (± 0.7% standard error), MO(AdamW, Lion) layerwise +6.0%',
    );
    // alpha0 spread (2.2 - 2.1) / 2.1 = 4.8% over 4 decades: more than 3%
    expect(text).toContain(
      'Claim 2, robust to α0 over four decades (final val loss within 3% across α0): does not hold here: over 4 decades of α0 the mean final val losses spread 4.8%; the worst α0 was 9.5% worse than tuned AdamW + cosine (2.010 ± 0.014 (2 seeds)).',
    );
    expect(text).toContain(
      'Claim 3, learned step sizes that warm up and then decay (geometric mean over blocks rising ≥ 2× from α0, then ending ≤ ½ its peak, on every seed): holds here. MO(AdamW, Lion) scalar: rose ×100 to a peak of 1.0e-3 at steps 50, 50 (per seed) and ended at 0.20× its peak (warm-up, decay).',
    );
  });

  it('sets each ablation beside the unchanged variant on its seed and tuned cosine, with the seed spread', () => {
    const seeded = (key: string, group: RunGroup, lr: number, loss: number, seed: number) => {
      const r = run(`${key}-s${seed}`, group, lr, loss);
      r.spec.key = key;
      r.spec.seed = seed;
      return r;
    };
    const why = (key: string, loss: number, status: RunSummary['status'] = 'done') => {
      const r = seeded(`why-mo-adamw-lion-${key}`, 'ablation', 1e-5, loss, 1);
      r.status = status;
      r.spec.method = `MO(AdamW, Lion) scalar, ${key}`;
      Object.assign(r.spec.hyper, {
        metaLr: 0.15,
        blocks: 'scalar',
        change: 'η × 3',
        reference: 'mo-adamw-lion-a1e-5',
      });
      return r;
    };
    const runs = [
      seeded('adamw-cosine-lr3e-3', 'adamw-cosine', 3e-3, 2.0, 1),
      seeded('adamw-cosine-lr3e-3', 'adamw-cosine', 3e-3, 2.02, 2),
      seeded('mo-adamw-lion-a1e-5', 'metaoptimize', 1e-5, 2.1, 1),
      seeded('mo-adamw-lion-a1e-5', 'metaoptimize', 1e-5, 2.12, 2),
      why('eta-x3', 2.058),
      why('eta-x10', NaN, 'missing'),
    ];
    const rows = ablationRows(runs);
    expect(rows.map((r) => r.reference?.spec.id)).toEqual(['mo-adamw-lion-a1e-5-s1', 'mo-adamw-lion-a1e-5-s1']);
    expect(rows[0].vsReference).toBeCloseTo(2.058 / 2.1 - 1, 12); // −2.0%
    expect(rows[0].vsCosine).toBeCloseTo(2.058 / 2.01 - 1, 12); // +2.4%
    expect(rows[1].vsReference).toBeNaN();
    // the ablations stay out of the main table
    expect(methodRows(runs).some((r) => r.group === 'ablation')).toBe(false);
    const text = ablationSection(runs).join('\n');
    // the variants' spread: std(2.10, 2.12) / 2.11 = 0.67%
    expect(text).toContain('varies by up to 0.7% (one standard deviation)');
    expect(text).toContain(
      '| why-mo-adamw-lion-eta-x3-s1 | η × 3 | α0 = 1e-5, η = 0.15, scalar | 2.058 | −2.0% (2.100) | +2.4% | — |',
    );
    expect(text).toContain(
      '| why-mo-adamw-lion-eta-x10-s1 | η × 3 | α0 = 1e-5, η = 0.15, scalar | missing | — (2.100) | — | — |',
    );
    expect(ablationSection(runs.slice(0, 4))).toEqual([]);
  });

  it('tunes continual grids on the mean online training loss, not on the final val loss at a switch step', () => {
    const c = (id: string, lr: number, val: number, online: number) =>
      run(id, 'adamw-constant', lr, val, { switchEvery: 750, meanOnlineLoss: online });
    // the lowest lr keeps the other task best (lowest final val loss at the switch) but tracks the data worst
    const grid = [
      c('adamw-lr1e-3', 1e-3, 7.7, 3.23),
      c('adamw-lr3e-3', 3e-3, 7.8, 3.1),
      c('adamw-lr1e-2', 1e-2, 9.0, 3.3),
    ];
    const row = methodRows(grid).find((r) => r.group === 'adamw-constant')!;
    expect(row.run!.spec.id).toBe('adamw-lr3e-3');
    const state: SuiteState = {
      version: 1,
      suite: 'continual',
      config: 'c',
      steps: 100,
      seeds: 1,
      sets: [],
      backend: null,
      best: null,
      specs: [],
      records: {},
    };
    expect(renderReport(state, grid, [])).toContain(
      'the chosen run is the lowest mean online training loss of its grid',
    );
    // stationary runs keep the final val loss
    expect(methodRows(grids()).find((r) => r.group === 'adamw-constant')!.run!.spec.id).toBe('adamw-lr3e-3');
    expect(renderReport(state, grids(), [])).toContain('the chosen run is the lowest final val loss of its grid');
  });
});
