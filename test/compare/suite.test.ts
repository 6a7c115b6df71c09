// The suite runner with a stand-in trainer (test/compare/fake-train.mjs, same CLI and run folders as
// train.ts): every file and row of a quick suite, valid SVG, resumability, failed runs, refused folders.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCompare } from '../../src/compare/compare.js';
import { SUITES, plannedRunCount } from '../../src/compare/grid.js';
import { CSV_COLUMNS } from '../../src/compare/report.js';
import { readSuiteState, runState } from '../../src/compare/runs.js';
import { runSuite, trainArgs } from '../../src/compare/suite.js';
import { checkXml } from './xml.js';

const fake = { command: process.execPath, args: [join(import.meta.dirname, 'fake-train.mjs')] };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'nanometa-compare-'));
  dirs.push(d);
  return d;
};
const calls = (out: string) => readFileSync(join(out, 'fake-calls.log'), 'utf8').trim().split('\n');
afterEach(() => {
  delete process.env.FAKE_TRAIN_STOP;
  delete process.env.FAKE_TRAIN_FAIL;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The continual suite, 8 steps, 2 jobs, on the fake trainer: the resume tests' options. */
const continualOpts = (out: string) => ({
  suite: SUITES.continual,
  config: 'tinystories-tiny',
  steps: 8,
  jobs: 2,
  outDir: out,
  sets: [],
  backend: null,
  trainer: fake,
  log: () => {},
});

describe('compare suite (fake trainer)', () => {
  it('quick suite: every run, every report file, every csv row, valid SVG and PNG', async () => {
    const out = tmp();
    const lines: string[] = [];
    const { summaries, plots } = await runCompare({
      config: 'tinystories-tiny',
      suite: 'quick',
      steps: 8,
      jobs: 2,
      outDir: out,
      trainer: fake,
      log: (l) => lines.push(l),
    });
    expect(summaries).toHaveLength(21);
    expect(summaries.every((s) => s.status === 'done')).toBe(true);
    // Phase 2 used the fake's best constant lrs (1e-3 AdamW, 3e-4 Lion): alpha0 two decades below.
    expect(readSuiteState(out)!.best).toEqual({ adamw: 1e-3, lion: 3e-4, adamwCosine: 1e-2 });
    expect(summaries.map((s) => s.spec.id)).toEqual(
      expect.arrayContaining(['mo-adamw-lion-a1e-5', 'mo-lion-lion-a3e-6', 'robust-mo-adamw-lion-a1e-6']),
    );
    expect(lines.at(-1)).toMatch(/^runs 21\/21 · ETA/);

    const csv = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(22);
    for (const s of summaries) expect(csv.some((row) => row.startsWith(`${s.spec.id},,${s.spec.group},`))).toBe(true);

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const method of [
      'AdamW constant (tuned)',
      'AdamW warmup + cosine (tuned)',
      'Lion constant (tuned)',
      'MO(AdamW, Lion) scalar',
      'MO(AdamW, Lion) layerwise',
      'MO(AdamW, Adam) scalar',
      'MO(Lion, Lion) scalar',
      'Schedule-Free AdamW',
      'Prodigy',
      'DoG (averaged)',
      'D-Adaptation Adam',
      'mechanic(AdamW)',
    ])
      expect(report).toContain(`| ${method} |`);
    for (const s of summaries) expect(report).toContain(`| ${s.spec.id} |`);

    expect(plots.sort()).toEqual([
      'loss-vs-tokens.svg',
      'robustness-alpha0.svg',
      'step-sizes-dadapt-adam.svg',
      'step-sizes-dog.svg',
      'step-sizes-mechanic-adamw.svg',
      'step-sizes-mo-adamw-adam-a1e-5.svg',
      'step-sizes-mo-adamw-lion-a1e-5.svg',
      'step-sizes-mo-adamw-lion-layerwise-a1e-5.svg',
      'step-sizes-mo-lion-lion-a3e-6.svg',
      'step-sizes-prodigy.svg',
      'step-sizes-schedulefree-adamw.svg',
      'step-sizes-vs-schedule.svg',
    ]);
    for (const p of plots) {
      const svg = readFileSync(join(out, p), 'utf8');
      expect(checkXml(svg)).toBe('svg');
      expect(svg).toMatch(/<path[^>]* d="M/); // lines were drawn
      expect(report).toContain(`](${p})`);
      const png = readFileSync(join(out, p.replace('.svg', '.png')));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    // The layerwise step-size plot has one line per block, named after config.json's run.blockNames.
    const layerwise = readFileSync(join(out, 'step-sizes-mo-adamw-lion-layerwise-a1e-5.svg'), 'utf8');
    for (const block of ['wte.weight', 'h.0.attn.qkv.weight', 'lm_head']) expect(layerwise).toContain(block);

    // --report-only rebuilds the same report from the folder alone.
    rmSync(join(out, 'report.md'));
    await runCompare({ suite: 'quick', outDir: out, reportOnly: true });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toBe(report);
    expect(calls(out)).toHaveLength(21);
  });

  it('resumes: finished runs are skipped, an interrupted run continues with --resume', async () => {
    const out = tmp();
    const opts = continualOpts(out);
    process.env.FAKE_TRAIN_STOP = 'adamw-lr1e-2:4';
    const first = await runSuite(opts);
    expect(first.state.records['adamw-lr1e-2'].status).toBe('interrupted');
    expect(first.summaries.find((s) => s.spec.id === 'adamw-lr1e-2')!.status).toBe('partial');
    expect(calls(out)).toHaveLength(10);
    delete process.env.FAKE_TRAIN_STOP;

    const second = await runSuite(opts);
    expect(calls(out).slice(10)).toEqual(['adamw-lr1e-2 resume']);
    expect(second.summaries.every((s) => s.status === 'done')).toBe(true);
    const rows = readFileSync(join(out, 'runs', 'adamw-lr1e-2', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    await runSuite(opts); // everything finished: nothing runs
    expect(calls(out)).toHaveLength(11);
    // A longer --steps extends every run with --resume.
    await runSuite({ ...opts, steps: 10 });
    expect(calls(out).slice(11)).toHaveLength(10);
    expect(
      calls(out)
        .slice(11)
        .every((c) => c.endsWith(' resume')),
    ).toBe(true);
  });

  it('starts again an interrupted run whose checkpoint lost its weights (a committed results folder keeps state.json only)', async () => {
    const out = tmp();
    const opts = continualOpts(out);
    process.env.FAKE_TRAIN_STOP = 'adamw-lr1e-2:4';
    await runSuite(opts);
    delete process.env.FAKE_TRAIN_STOP;
    const ckpt = join(out, 'runs', 'adamw-lr1e-2', 'checkpoint');
    rmSync(join(ckpt, 'model.safetensors'));
    rmSync(join(ckpt, 'optimizer.safetensors'));
    expect(runState(join(out, 'runs', 'adamw-lr1e-2'), 8)).toBe('fresh');

    const second = await runSuite(opts);
    expect(calls(out).slice(10)).toEqual(['adamw-lr1e-2 fresh']);
    expect(second.state.records['adamw-lr1e-2'].status).toBe('done');
    const rows = readFileSync(join(out, 'runs', 'adamw-lr1e-2', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keeps a failed run failed (no retry) unless retryFailed, and leaves it out of the best choice', async () => {
    const out = tmp();
    const opts = {
      suite: SUITES.continual,
      config: 'tinystories-tiny',
      steps: 8,
      jobs: 1,
      outDir: out,
      sets: [],
      backend: null,
      trainer: fake,
      log: () => {},
    };
    process.env.FAKE_TRAIN_FAIL = 'adamw-lr1e-3';
    const first = await runSuite(opts);
    expect(first.state.records['adamw-lr1e-3']).toMatchObject({ status: 'failed', exitCode: 1 });
    // Without the failed 1e-3 run the best AdamW lr is 3e-3, so alpha0 = 3e-5.
    expect(first.state.best!.adamw).toBe(3e-3);
    expect(first.summaries.map((s) => s.spec.id)).toContain('mo-adamw-lion-a3e-5');
    const n = calls(out).length;
    await runSuite(opts);
    expect(calls(out)).toHaveLength(n);
    delete process.env.FAKE_TRAIN_FAIL;
    const third = await runSuite({ ...opts, retryFailed: true });
    expect(calls(out).slice(n)[0]).toBe('adamw-lr1e-3 fresh');
    expect(third.state.best!.adamw).toBe(1e-3);
  });

  it("passes suite settings, then the user --set, then the run's own; refuses a folder made by other settings", async () => {
    const spec = SUITES.continual;
    const args = trainArgs(
      { suite: spec, config: 'c', steps: 40, jobs: 1, outDir: 'o', sets: ['model.nLayer=1'], backend: 'cpu' },
      {
        id: 'x',
        group: 'adamw-constant',
        method: 'm',
        optim: 'adamw',
        sets: { 'optimizer.lr': 0.001 },
        hyper: { lr: 0.001, schedule: 'constant' },
      },
      'o/runs/x',
      true,
    );
    expect(args).toEqual([
      '--config',
      'c',
      '--optim',
      'adamw',
      '--set',
      'train.maxSteps=40',
      '--set',
      'data.switchEvery=10',
      '--set',
      'model.nLayer=1',
      '--set',
      'optimizer.lr=0.001',
      '--out',
      'o/runs/x',
      '--resume',
      '--backend',
      'cpu',
    ]);
    const out = tmp();
    const opts = {
      suite: SUITES.continual,
      config: 'tinystories-tiny',
      steps: 4,
      jobs: 1,
      outDir: out,
      sets: [],
      backend: null,
      trainer: fake,
      log: () => {},
    };
    await runSuite(opts);
    await expect(runSuite({ ...opts, sets: ['model.nLayer=2'] })).rejects.toThrow(
      /suite\.json was made by --suite continual --config tinystories-tiny/,
    );
    await expect(runSuite({ ...opts, sets: ['train.maxSteps=9'] })).rejects.toThrow(/use --steps|sets train.maxSteps/);
    // a second suite process on the same folder is refused while the first is alive (here: this process)
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: 'now' }));
    await expect(runSuite(opts)).rejects.toThrow(/is in use by another run \(pid \d+ on .*, started now\)/);
    rmSync(join(out, '.lock'));
    expect(existsSync(join(out, 'runs'))).toBe(true);
    expect(readdirSync(join(out, 'logs')).length).toBe(10);
  });

  it('several seeds: grids on seed 1, their best lrs and every other method on each seed, means ± std in the report', async () => {
    const out = tmp();
    const { summaries } = await runCompare({
      config: 'tinystories-tiny',
      suite: 'quick',
      seeds: 2,
      steps: 8,
      jobs: 2,
      outDir: out,
      trainer: fake,
      log: () => {},
    });
    // 9 grid runs on seed 1 + (5 tuning-free + 3 alpha0) x 2 seeds + 4 variants x 2 seeds + 3 best lrs on seed 2
    expect(summaries).toHaveLength(36);
    expect(plannedRunCount(SUITES.quick, 2)).toBe(36);
    expect(summaries.every((s) => s.status === 'done')).toBe(true);
    const ids = summaries.map((s) => s.spec.id);
    expect(ids.filter((id) => id.startsWith('adamw-lr')).sort()).toEqual([
      'adamw-lr1e-2-s1',
      'adamw-lr1e-3-s1',
      'adamw-lr1e-3-s2',
      'adamw-lr3e-3-s1',
    ]);
    expect(ids).toEqual(
      expect.arrayContaining(['mo-adamw-lion-a1e-5-s2', 'robust-mo-adamw-lion-a1e-6-s2', 'prodigy-s2']),
    );
    const config = JSON.parse(readFileSync(join(out, 'runs', 'mo-adamw-lion-a1e-5-s2', 'config.json'), 'utf8'));
    expect(config.train).toMatchObject({ seed: 2, evalSeed: 1337 });
    // the fake's loss is 0.01 higher on seed 2: mean +0.005, sample std 0.01 / sqrt(2) = 0.007
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    const mo = summaries.filter((s) => s.spec.key === 'mo-adamw-lion-a1e-5').map((s) => s.finalValLoss);
    expect(mo[1] - mo[0]).toBeCloseTo(0.01, 9);
    expect(report).toContain(`ended at val loss ${((mo[0] + mo[1]) / 2).toFixed(3)} ± 0.007 (2 seeds)`);
    expect(report).toContain('(2 training seeds per method)');
    expect(report).toMatch(/Claim 1, untuned MetaOptimize within a few percent \(≤ 3%\) of tuned AdamW \+ cosine/);
    expect(report).toMatch(/Claim 2, robust to α0 over four decades/);
    const csv = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    expect(csv.find((l) => l.startsWith('adamw-lr1e-3-s2,'))).toMatch(/^adamw-lr1e-3-s2,2,adamw-constant,/);
    // the folder belongs to --seeds 2
    await expect(
      runCompare({
        config: 'tinystories-tiny',
        suite: 'quick',
        seeds: 3,
        steps: 8,
        outDir: out,
        trainer: fake,
        log: () => {},
      }),
    ).rejects.toThrow(/--seeds 2/);
    await expect(runCompare({ config: 'tinystories-tiny', suite: 'quick', seeds: 0, outDir: out })).rejects.toThrow(
      /--seeds 0 must be an integer from 1 to 100/,
    );
  });
});
