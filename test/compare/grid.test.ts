// The suites as data: run ids, the baseline grids, alpha0 placement after phase 1 and short-run scaling.
import { describe, expect, it } from 'vitest';
import {
  SUITES,
  TINYSTORIES_TEXT,
  formatLr,
  metaLrFor,
  phaseOneRuns,
  phaseTwoCount,
  phaseTwoRuns,
  plannedRunCount,
  resolveSuite,
  runOrder,
  suiteSets,
  warmupFor,
} from '../../src/compare/grid.js';

describe('compare suites', () => {
  it('quick: 3+3+3 baseline runs, a 3-point alpha0 sweep over four decades, four variants, five tuning-free runs; ids unique', () => {
    const one = phaseOneRuns(SUITES.quick, 150);
    const count = (g: string) => one.filter((r) => r.group === g).length;
    expect([
      count('adamw-constant'),
      count('adamw-cosine'),
      count('lion-constant'),
      count('robustness'),
      count('tuning-free'),
    ]).toEqual([3, 3, 3, 3, 5]);
    const sweep = one.filter((r) => r.group === 'robustness').map((r) => r.hyper.lr);
    expect(Math.log10(Math.max(...sweep) / Math.min(...sweep))).toBeCloseTo(4);
    const two = phaseTwoRuns(SUITES.quick, 150, { adamw: 3e-3, lion: 3e-4 });
    const ids = [...one, ...two].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(plannedRunCount(SUITES.quick)).toBe(21);
  });

  it('every suite with tuning-free methods runs each once per seed at its preset (Schedule-Free with the cosine warmup)', () => {
    for (const suite of Object.values(SUITES).filter((s) => s.tuningFree.length)) {
      const free = phaseOneRuns(suite, 200, 1).filter((r) => r.group === 'tuning-free');
      expect(free.map((r) => r.optim)).toEqual([
        'schedulefree-adamw',
        'prodigy',
        'dog',
        'dadapt-adam',
        'mechanic-adamw',
      ]);
      expect(free.find((r) => r.optim === 'schedulefree-adamw')!.sets).toEqual({
        'optimizer.lr': 2.5e-3,
        'optimizer.base.warmupSteps': 10,
      });
    }
  });

  it('paper: AdamW constant 1e-5..1e-1, cosine includes 1e-5, 1e-4, 1e-3, six variants', () => {
    const s = SUITES.paper;
    expect([Math.min(...s.adamwConstant), Math.max(...s.adamwConstant)]).toEqual([1e-5, 1e-1]);
    expect(s.adamwCosine).toEqual(expect.arrayContaining([1e-5, 1e-4, 1e-3]));
    expect(s.variants.map((v) => v.key).sort()).toEqual([
      'mo-adamw-adam',
      'mo-adamw-adam-layerwise',
      'mo-adamw-lion',
      'mo-adamw-lion-layerwise',
      'mo-lion-lion',
      'mo-lion-lion-layerwise',
    ]);
  });

  it('places alpha0 two decades below the best constant lr of the base family', () => {
    const two = phaseTwoRuns(SUITES.quick, 150, { adamw: 3e-3, lion: 3e-4 });
    const by = Object.fromEntries(two.map((r) => [r.id, r]));
    expect(by['mo-adamw-lion-a3e-5'].sets['optimizer.lr']).toBe(3e-5);
    expect(by['mo-adamw-lion-layerwise-a3e-5'].sets['optimizer.metaOptimize.blocks']).toBe('layerwise');
    expect(by['mo-lion-lion-a3e-6'].sets['optimizer.lr']).toBe(3e-6);
    expect(by['mo-adamw-adam-a3e-5'].optim).toBe('mo-adamw-adam');
  });

  it('scales warmup and the meta step size to short runs, and the paper values for long ones', () => {
    expect(warmupFor(200)).toBe(10);
    expect(warmupFor(100_000)).toBe(1000);
    // eta lets beta climb ln(100) in half the run: 200 steps -> 4.605/100.
    expect(metaLrFor(200)).toBeCloseTo(Math.log(100) / 100, 6);
    expect(metaLrFor(20_000)).toBe(1e-3);
    const cosine = phaseOneRuns(SUITES.quick, 200).find((r) => r.id === 'adamw-cosine-lr3e-3')!;
    expect(cosine.sets).toMatchObject({
      'optimizer.schedule.type': 'cosine',
      'optimizer.schedule.warmupSteps': 10,
      'optimizer.schedule.minLr': 3e-4,
    });
  });

  it('continual suite switches the data every quarter of the run', () => {
    expect(suiteSets(SUITES.continual, 400)).toEqual({ 'train.maxSteps': 400, 'data.switchEvery': 100 });
    expect(suiteSets(SUITES.quick, 400)).toEqual({ 'train.maxSteps': 400 });
  });

  it('formats lrs compactly', () => {
    expect([formatLr(1e-3), formatLr(3e-4), formatLr(2.5e-5), formatLr(0.1)]).toEqual([
      '1e-3',
      '3e-4',
      '2.5e-5',
      '1e-1',
    ]);
  });

  it('tinystories: grids on seed 1, everything else on 3 seeds, the claims seed by seed first in the queue', () => {
    const suite = SUITES.tinystories;
    const one = phaseOneRuns(suite, 3000);
    // 4 + 4 + 4 grid runs on seed 1; 5 alpha0 + 5 tuning-free on each of 3 seeds
    expect(one).toHaveLength(42);
    expect(
      one
        .filter((r) => ['adamw-constant', 'adamw-cosine', 'lion-constant'].includes(r.group))
        .every((r) => r.seed === 1),
    ).toBe(true);
    expect(one.slice(0, 12).map((r) => r.group)).toEqual([
      ...Array(4).fill('adamw-cosine'),
      ...Array(4).fill('adamw-constant'),
      ...Array(4).fill('lion-constant'),
    ]);
    expect(one.slice(12, 17).map((r) => r.id)).toEqual(
      ['1e-6', '1e-5', '1e-4', '1e-3', '1e-2'].map((a) => `robust-mo-adamw-lion-a${a}-s1`),
    );
    expect(one.at(-1)!.id).toBe('mechanic-adamw-s3');
    const two = phaseTwoRuns(suite, 3000, { adamw: 3e-3, lion: 3e-4, adamwCosine: 1e-2 });
    expect(two).toHaveLength(phaseTwoCount(suite));
    expect(two.length).toBe(4 * 3 + 3 * 2 + 6); // variants on 3 seeds, chosen lrs on seeds 2 and 3, 6 ablations
    // seed 1's variants, then seed 2's tuned baselines and variants, then seed 3's
    expect(two.slice(0, 8).map((r) => r.id)).toEqual([
      'mo-adamw-lion-a3e-5-s1',
      'mo-adamw-lion-layerwise-a3e-5-s1',
      'mo-adamw-adam-a3e-5-s1',
      'mo-lion-lion-a3e-6-s1',
      'adamw-cosine-lr1e-2-s2',
      'adamw-lr3e-3-s2',
      'lion-lr3e-4-s2',
      'mo-adamw-lion-a3e-5-s2',
    ]);
    expect(two.find((r) => r.id === 'adamw-lr3e-3-s2')!.sets['train.seed']).toBe(2);
    // the queue once phase 2 is in: seed 1 (grids, variants, alpha0 sweep), seed 2, seed 3, then the tuning-free methods
    const queue = [...one, ...two].sort(runOrder).map((r) => r.id);
    expect(queue.slice(12, 17)).toEqual(
      two
        .slice(0, 4)
        .map((r) => r.id)
        .concat('robust-mo-adamw-lion-a1e-6-s1'),
    );
    expect(queue[21]).toBe('adamw-cosine-lr1e-2-s2');
    // then seed 1's tuning-free methods and the ablations, then the tuning-free methods on seeds 2 and 3
    const tuningFree = (id: string) => /^(schedulefree|prodigy|dog|dadapt|mechanic)/.test(id);
    expect(queue.slice(-21, -16).every((id) => tuningFree(id) && id.endsWith('-s1'))).toBe(true);
    expect(queue.slice(-16, -10).every((id) => id.startsWith('why-'))).toBe(true);
    expect(queue.slice(-10).every((id) => tuningFree(id) && !id.endsWith('-s1'))).toBe(true);
    expect(plannedRunCount(suite)).toBe(66);
    expect(metaLrFor(3000)).toBeCloseTo(Math.log(100) / 1500, 12);
    const sets = suiteSets(suite, 3000);
    expect(String(sets['data.source'])).toMatch(
      new RegExp(`^text:.*shared/data/tinystories/${TINYSTORIES_TEXT.train.replace(/\./g, '\\.')}$`),
    );
    expect(String(sets['data.valSource'])).toMatch(/TinyStories-valid\.head1840\.txt$/);
    expect(sets).toMatchObject({ 'train.maxSteps': 3000, 'train.evalSeed': 1337, 'train.evalInterval': 250 });
    // the model the committed suites started with, whatever tinystories-tiny's model is now
    expect(sets).toMatchObject({ 'model.nEmbd': 64, 'model.nLayer': 2, 'model.blockSize': 64, 'train.batchSize': 8 });
    expect(sets['train.logInterval']).toBe(10);
    expect(suiteSets(SUITES['tinystories-continual'], 3000)).toMatchObject({ 'model.nEmbd': 64, 'train.batchSize': 8 });
    expect(suiteSets(suite, 3000, 1)['train.evalSeed']).toBeUndefined();
  });

  it('tinystories ablations: one change each to a variant at its alpha0, on seed 1, beside the unchanged run', () => {
    const suite = SUITES.tinystories;
    const two = phaseTwoRuns(suite, 3000, { adamw: 3e-3, lion: 3e-4, adamwCosine: 1e-2 });
    const why = two.filter((r) => r.group === 'ablation');
    expect(why.map((r) => r.id)).toEqual([
      'why-mo-adamw-lion-eta-x3-s1',
      'why-mo-adamw-lion-eta-x10-s1',
      'why-mo-adamw-lion-gamma-0.999-s1',
      'why-mo-adamw-lion-gamma-0.99-s1',
      'why-mo-adamw-lion-cosine-envelope-s1',
      'why-mo-lion-lion-cosine-envelope-s1',
    ]);
    const unchanged = two.find((r) => r.id === 'mo-adamw-lion-a3e-5-s1')!;
    const eta = metaLrFor(3000);
    for (const r of why) {
      expect(r.seed).toBe(1);
      expect(r.sets['train.seed']).toBe(1);
      expect(r.hyper.reference).toBe(r.optim === 'mo-lion-lion' ? 'mo-lion-lion-a3e-6' : 'mo-adamw-lion-a3e-5');
      expect(r.sets['optimizer.lr']).toBe(r.optim === 'mo-lion-lion' ? 3e-6 : 3e-5);
      expect(r.hyper.change).toMatch(/\S/);
    }
    const byKey = (k: string) => why.find((r) => r.id === `why-${k.startsWith('mo-') ? k : `mo-adamw-lion-${k}`}-s1`)!;
    expect(byKey('eta-x3').sets['optimizer.metaOptimize.meta.lr']).toBeCloseTo(3 * eta, 4);
    expect(byKey('eta-x10').sets['optimizer.metaOptimize.meta.lr']).toBeCloseTo(10 * eta, 3);
    expect(byKey('gamma-0.99').sets).toMatchObject({
      'optimizer.metaOptimize.gamma': 0.99,
      'optimizer.metaOptimize.meta.lr': unchanged.sets['optimizer.metaOptimize.meta.lr'],
    });
    // everything but the change is the unchanged run's
    const { 'optimizer.metaOptimize.gamma': _g, ...rest } = byKey('gamma-0.999').sets;
    expect(rest).toEqual(unchanged.sets);
    expect(byKey('mo-adamw-lion-cosine-envelope').sets).toMatchObject({
      'optimizer.schedule.type': 'cosine',
      'optimizer.schedule.warmupSteps': 0,
      'optimizer.schedule.minLr': 3e-6,
    });
    expect(byKey('mo-adamw-lion-cosine-envelope').hyper.envelope).toBe('cosine');
    // the other suites have none
    for (const name of ['quick', 'paper', 'continual', 'tinystories-continual'] as const)
      expect(phaseTwoRuns(SUITES[name], 300, { adamw: 3e-3, lion: 3e-4 }).some((r) => r.group === 'ablation')).toBe(
        false,
      );
  });

  it('tinystories-continual: the three tinystories grids and three variants on one seed, a switch every 750 steps', () => {
    const suite = SUITES['tinystories-continual'];
    expect(phaseOneRuns(suite, 3000)).toHaveLength(12);
    const two = phaseTwoRuns(suite, 3000, { adamw: 3e-3, lion: 1e-3, adamwCosine: 1e-2 });
    expect(two.map((r) => r.id)).toEqual([
      'mo-adamw-lion-a3e-5',
      'mo-adamw-lion-layerwise-a3e-5',
      'mo-lion-lion-a1e-5',
    ]);
    expect(plannedRunCount(suite)).toBe(15);
    expect(suiteSets(suite, 3000)).toMatchObject({ 'data.switchEvery': 750, 'train.maxSteps': 3000 });
  });

  it('resolveSuite checks the name and --seeds, and takes --seeds over the suite default', () => {
    expect(() => resolveSuite('nope', undefined, [])).toThrow(/unknown suite 'nope'/);
    expect(() => resolveSuite('quick', 1.5, [])).toThrow(/--seeds 1.5 must be an integer from 1 to 100/);
    expect(resolveSuite('quick', 4, []).seeds).toBe(4);
    expect(resolveSuite('quick', undefined, []).seeds).toBe(1);
    // with both files replaced, a real-text suite does not need ../shared
    const replaced = resolveSuite('tinystories', 2, ['data.source=text:a.txt', 'data.valSource=text:b.txt']);
    expect(replaced.seeds).toBe(2);
  });
});
