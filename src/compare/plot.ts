// Compare plots as Vega-Lite specs rendered to SVG in Node (vega-lite 5 -> vega 5, renderer 'none'), and
// to PNG with resvg's prebuilt renderer: loss vs tokens (tuned baselines, MetaOptimize, tuning-free methods),
// learned step sizes vs steps (MetaOptimize's α, the tuning-free methods' effective step, the ablations'), loss vs
// alpha0.
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../util/atomic-write.js';
import { switchSteps } from '../data/nonstationary.js';
import { formatLr } from './grid.js';
import { ablationRows, alphaPath, methodRows, sweepByAlpha0 } from './report.js';
import { readMetrics, toArray, type RunSummary } from './runs.js';

const WIDTH = 520,
  HEIGHT = 300;
const CONFIG = { font: 'DejaVu Sans, sans-serif', view: { stroke: null }, legend: { labelLimit: 480 } };

/**
 * Val and train loss against tokens for the tuned (chosen) baselines and every MetaOptimize and tuning-free
 * method: the mean over the method's seeds as a line, their min-max as a band (no band for one seed).
 */
export function lossVsTokensSpec(summaries: RunSummary[]): TopLevelSpec {
  const values: { method: string; tokens: number; loss: number; lo: number; hi: number; series: string }[] = [];
  const rows = methodRows(summaries);
  const shared = (name: string) => rows.filter((r) => r.method === name).length > 1;
  for (const row of rows) {
    if (!row.run) continue;
    // Several runs of one method (an α0 or η sweep) get their hyper-parameters in the label: one line each.
    const h = row.run.spec.hyper;
    const method =
      row.kind === 'baseline'
        ? `${row.method} (tuned)`
        : shared(row.method)
          ? `${row.method}, α0 ${formatLr(h.lr)}, η ${h.metaLr}`
          : row.method;
    const seeds = row.runs.filter((r) => !r.diverged);
    const points = new Map<string, number[]>(); // `${series}\t${tokens}` -> one loss per seed
    for (const run of seeds.length ? seeds : [row.run])
      for (const m of readMetrics(run.dir)) {
        const tokens = m.tokens ?? 0;
        const add = (series: string, loss: number) => {
          const k = `${series}\t${tokens}`;
          if (!points.has(k)) points.set(k, []);
          points.get(k)!.push(loss);
        };
        if (typeof m.loss === 'number' && Number.isFinite(m.loss)) add('train loss (logged)', m.loss);
        if (m.valLoss !== undefined && Number.isFinite(m.valLoss)) add('val loss', m.valLoss);
      }
    for (const [k, losses] of points) {
      const [series, tokens] = k.split('\t');
      values.push({
        method,
        tokens: Number(tokens),
        loss: losses.reduce((a, b) => a + b, 0) / losses.length,
        lo: Math.min(...losses),
        hi: Math.max(...losses),
        series,
      });
    }
  }
  const seeded = rows.some((r) => r.runs.length > 1);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Loss against tokens: tuned baselines, MetaOptimize and the tuning-free methods',
      ...(seeded ? { subtitle: 'lines: mean over seeds; bands: min to max over seeds' } : {}),
    },
    data: { values },
    facet: { column: { field: 'series', type: 'nominal', title: null, sort: ['val loss', 'train loss (logged)'] } },
    spec: {
      width: WIDTH * 0.8,
      height: HEIGHT,
      encoding: {
        x: { field: 'tokens', type: 'quantitative', title: 'tokens' },
        // one legend for both layers, drawn as lines (the bands' opacity would make pale symbols)
        color: {
          field: 'method',
          type: 'nominal',
          title: 'method',
          legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2 },
        },
      },
      layer: [
        ...(seeded
          ? [
              {
                mark: { type: 'area', opacity: 0.18 },
                encoding: {
                  y: { field: 'lo', type: 'quantitative', scale: { zero: false } },
                  y2: { field: 'hi' },
                },
              },
            ]
          : []),
        {
          mark: { type: 'line', strokeWidth: 1.5, point: false },
          encoding: {
            y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Step size against steps for named sets of runs: geometric mean over blocks, mean of its logarithm over runs. */
function stepSizeLines(
  series: { name: string; runs: RunSummary[] }[],
): { step: number; alpha: number; method: string }[] {
  const values: { step: number; alpha: number; method: string }[] = [];
  for (const { name, runs } of series) {
    const byStep = new Map<number, number[]>();
    for (const run of runs.filter((r) => !r.diverged))
      for (const p of alphaPath(run)) {
        if (!byStep.has(p.step)) byStep.set(p.step, []);
        byStep.get(p.step)!.push(Math.log(p.alpha));
      }
    for (const [step, logs] of byStep)
      values.push({ step, alpha: Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length), method: name });
  }
  return values;
}

function stepSizeLinesSpec(title: string, subtitle: string, values: ReturnType<typeof stepSizeLines>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle },
    data: { values },
    width: WIDTH,
    height: HEIGHT,
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'alpha', type: 'quantitative', title: 'step size (log scale)', scale: { type: 'log' } },
      color: { field: 'method', type: 'nominal', title: 'method' },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** The tuned AdamW + cosine's chosen run as a step-size series (its logged lr), if there is one. */
function cosineSeries(summaries: RunSummary[]): { name: string; runs: RunSummary[] }[] {
  const cosine = methodRows(summaries).find((r) => r.group === 'adamw-cosine' && r.run);
  return cosine
    ? [{ name: `AdamW + cosine (tuned peak ${formatLr(cosine.run!.spec.hyper.lr)})`, runs: [cosine.run!] }]
    : [];
}

/**
 * The learned step size of each MetaOptimize variant (geometric mean over blocks, mean of its logarithm over
 * seeds) against the tuned AdamW + cosine schedule, on one log axis: does the learned α warm up and decay?
 */
export function scheduleSpec(summaries: RunSummary[]): TopLevelSpec | null {
  const metas = methodRows(summaries).filter((r) => r.kind === 'metaoptimize' && r.run);
  if (!metas.length) return null;
  return stepSizeLinesSpec(
    'Learned step sizes against the tuned schedule',
    'MetaOptimize: geometric mean over blocks (and over seeds); AdamW + cosine: its lr',
    stepSizeLines([...cosineSeries(summaries), ...metas.map((m) => ({ name: m.method, runs: m.runs }))]),
  );
}

/** The ablations' step sizes beside their unchanged variants' runs (same seed) and the tuned cosine schedule. */
export function ablationSpec(summaries: RunSummary[]): TopLevelSpec | null {
  const rows = ablationRows(summaries).filter((r) => r.run.status === 'done' && !r.run.diverged);
  if (!rows.length) return null;
  const references = new Map<string, RunSummary>();
  for (const r of rows) if (r.reference) references.set(r.reference.spec.id, r.reference);
  return stepSizeLinesSpec(
    'Why: step sizes with one change at a time',
    'the step size used (geometric mean over blocks); unchanged variants and tuned AdamW + cosine for reference',
    stepSizeLines([
      ...cosineSeries(summaries),
      ...[...references.values()].map((r) => ({ name: `${r.spec.method} (unchanged)`, runs: [r] })),
      ...rows.map((r) => ({ name: r.run.spec.method, runs: [r.run] })),
    ]),
  );
}

/** Learned step sizes of one MetaOptimize or tuning-free run against steps: one line per block, log scale; switches marked. */
export function stepSizeSpec(run: RunSummary, referenceLr: number | null): TopLevelSpec {
  const values: { step: number; alpha: number; block: string }[] = [];
  for (const m of readMetrics(run.dir)) {
    toArray(m.lr).forEach((alpha, b) => {
      if (alpha > 0 && Number.isFinite(alpha))
        values.push({ step: m.step, alpha, block: run.blockNames[b] ?? `block ${b}` });
    });
  }
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'alpha', type: 'quantitative', title: 'step size α (log scale)', scale: { type: 'log' } },
        color: {
          field: 'block',
          type: 'nominal',
          title: 'block',
          legend: values.length && new Set(values.map((v) => v.block)).size > 1 ? {} : null,
        },
      },
    },
  ];
  if (referenceLr !== null)
    layers.push({
      data: { values: [{ lr: referenceLr, label: `tuned constant lr ${formatLr(referenceLr)}` }] },
      layer: [
        {
          mark: { type: 'rule', strokeDash: [6, 4], color: 'black' },
          encoding: { y: { field: 'lr', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 10 },
          encoding: { y: { field: 'lr', type: 'quantitative' }, x: { datum: 0 }, text: { field: 'label' } },
        },
      ],
    });
  const switches = switchSteps(run.steps, run.switchEvery);
  if (switches.length)
    layers.push({
      data: { values: switches.map((step) => ({ step })) },
      mark: { type: 'rule', color: 'gray', strokeDash: [2, 3] },
      encoding: { x: { field: 'step', type: 'quantitative' } },
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Learned step sizes: ${run.spec.method}`,
      subtitle: `${run.spec.group === 'tuning-free' ? `effective step size (d·lr, η or Σs·lr) at the authors' defaults, lr = ${formatLr(run.spec.hyper.lr)}` : `α0 = ${formatLr(run.spec.hyper.lr)}`}${switches.length ? `; dotted lines: data switches every ${run.switchEvery} steps` : ''}`,
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * Final val loss against alpha0 for the robustness sweep (mean over seeds, with a min-max bar when there are
 * several), with the best tuned baseline as a reference line.
 */
export function robustnessSpec(sweep: RunSummary[], reference: { method: string; loss: number } | null): TopLevelSpec {
  const values = sweepByAlpha0(sweep)
    .filter((s) => s.val.n > 0)
    .map((s) => {
      const losses = s.runs.filter((r) => !r.diverged && Number.isFinite(r.finalValLoss)).map((r) => r.finalValLoss);
      return s.runs.length > 1
        ? { alpha0: s.alpha0, loss: s.val.mean, lo: Math.min(...losses), hi: Math.max(...losses) }
        : { alpha0: s.alpha0, loss: s.val.mean };
    });
  const bars = values.some((v) => 'lo' in v);
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'alpha0', type: 'quantitative', title: 'initial step size α0 (log scale)', scale: { type: 'log' } },
        y: { field: 'loss', type: 'quantitative', title: 'final val loss', scale: { zero: false } },
      },
    },
  ];
  if (bars)
    layers.push({
      data: { values },
      mark: { type: 'rule' },
      encoding: {
        x: { field: 'alpha0', type: 'quantitative', scale: { type: 'log' } },
        y: { field: 'lo', type: 'quantitative' },
        y2: { field: 'hi' },
      },
    });
  if (reference)
    layers.push({
      data: { values: [{ loss: reference.loss, label: `${reference.method} (tuned): ${reference.loss.toFixed(3)}` }] },
      layer: [
        {
          mark: { type: 'rule', strokeDash: [6, 4], color: 'black' },
          encoding: { y: { field: 'loss', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 10 },
          encoding: {
            y: { field: 'loss', type: 'quantitative' },
            x: { datum: values[0]?.alpha0 ?? 1e-6 },
            text: { field: 'label' },
          },
        },
      ],
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Robustness to α0: ${sweep[0]?.spec.method ?? ''}`,
      subtitle: `final val loss after the same number of steps${bars ? '; points: mean over seeds, bars: min to max' : ''}`,
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
    config: CONFIG,
  } as TopLevelSpec;
}

/** Vega-Lite spec -> SVG string (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG -> PNG at 2x, with the system fonts (text is missing where a machine has none). */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Writes every plot as NAME.svg and NAME.png into outDir; returns the SVG file names. */
export async function writePlots(outDir: string, summaries: RunSummary[]): Promise<string[]> {
  const plots: [string, TopLevelSpec][] = [['loss-vs-tokens', lossVsTokensSpec(summaries)]];
  const rows = methodRows(summaries);
  const schedule = scheduleSpec(summaries);
  if (schedule) plots.push(['step-sizes-vs-schedule', schedule]);
  const ablation = ablationSpec(summaries);
  if (ablation) plots.push(['why-step-sizes', ablation]);
  const tuned = (group: string) => rows.find((r) => r.group === group)?.run?.spec.hyper.lr ?? null;
  // one plot per method, from its tuning-seed run (the other seeds are in the schedule plot's mean)
  for (const row of rows.filter((r) => r.kind !== 'baseline' && r.run && r.run.status !== 'missing')) {
    const s = row.run!;
    plots.push([
      `step-sizes-${s.spec.id}`,
      stepSizeSpec(s, tuned(s.spec.optim.startsWith('mo-lion') ? 'lion-constant' : 'adamw-constant')),
    ]);
  }
  const sweep = summaries.filter((s) => s.spec.group === 'robustness');
  if (sweep.length) {
    const best = rows.filter((r) => r.kind === 'baseline' && r.val.n > 0).sort((a, b) => a.val.mean - b.val.mean)[0];
    plots.push([
      'robustness-alpha0',
      robustnessSpec(sweep, best ? { method: best.method, loss: best.val.mean } : null),
    ]);
  }
  const names: string[] = [];
  for (const [name, spec] of plots) {
    const svg = await renderSvg(spec);
    writeFileAtomic(join(outDir, `${name}.svg`), svg);
    writeFileAtomic(join(outDir, `${name}.png`), svgToPng(svg));
    names.push(`${name}.svg`);
  }
  return names;
}
