// compare --cost: bench/optim-cost.ts measures the suite's methods against AdamW in one child run, and the table
// lands in DIR/cost.md and report.md (real benchmark on the cpu backend, 1 step a method: numbers are not judged,
// only that every method has its row and AdamW is the baseline).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { costPresets, readCostTable, writeCostTable } from '../../src/compare/cost.js';
import { SUITES } from '../../src/compare/grid.js';
import { renderReport } from '../../src/compare/report.js';
import type { SuiteState } from '../../src/compare/runs.js';

const tmp = mkdtempSync(join(tmpdir(), 'nanometa-cost-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('compare --cost', () => {
  it("lists AdamW first, then the suite's MetaOptimize variants and tuning-free methods, once each", () => {
    const presets = costPresets(SUITES.quick);
    expect(presets[0]).toBe('adamw');
    expect(presets).toEqual([...new Set(presets)]);
    for (const v of SUITES.quick.variants) expect(presets).toContain(v.optim);
    for (const t of SUITES.quick.tuningFree) expect(presets).toContain(t.key);
  });

  it('measures every method in one benchmark run, with AdamW as the 1.00x baseline, and keeps the table', () => {
    const suite = {
      ...SUITES.quick,
      variants: SUITES.quick.variants.slice(0, 1),
      tuningFree: SUITES.quick.tuningFree.slice(0, 1),
    };
    const file = writeCostTable({
      suite,
      config: 'tinystories-tiny',
      outDir: tmp,
      backend: 'cpu',
      steps: 1,
      rounds: 1,
    });
    const table = readFileSync(file, 'utf8');
    expect(table).toMatch(/^Cost against adamw on tinystories-tiny \(tfjs cpu/);
    const rows = table.split('\n').filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| Method'));
    expect(rows.map((r) => r.split('|')[1].trim())).toEqual([
      'adamw',
      suite.variants[0].optim,
      suite.tuningFree[0].key,
    ]);
    expect(rows[0]).toMatch(/\| 1\.00x \| [\d.]+ MiB \| [\d.]+x \| 1\.00x \|$/); // the baseline against itself
    expect(readCostTable(tmp)).toBe(table.trim());
    writeFileSync(file, 'kept');
    writeCostTable({ suite, config: 'tinystories-tiny', outDir: tmp, backend: 'cpu' }); // an existing table is kept
    expect(readFileSync(file, 'utf8')).toBe('kept');
  }, 120_000);

  it('report.md shows the table when there is one, and no section when there is none', () => {
    const state = { suite: 'quick', config: 'tinystories-tiny', steps: 10, sets: [] } as unknown as SuiteState;
    expect(renderReport(state, [], [], '| a | b |')).toMatch(/## Cost of each method .*\n\n\| a \| b \|\n/);
    expect(renderReport(state, [], [])).not.toMatch(/## Cost/);
  });
});
