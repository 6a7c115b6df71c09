// The compare report: report.md (one table of tuned baselines vs MetaOptimize variants with the cost of
// tuning, then plain sentences generated from the numbers, losses included) and runs.csv (one row per run).
import { join } from 'node:path';
import { readCostTable } from './cost.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { switchSteps } from '../data/nonstationary.js';
import { BASELINE_GROUPS, formatLr, type RunGroup } from './grid.js';
import { formatDuration } from './progress.js';
import { pickBest, readMetrics, toArray, type RunSummary, type SuiteState } from './runs.js';

const GROUP_NAMES: Record<RunGroup, string> = {
  'adamw-constant': 'AdamW constant',
  'adamw-cosine': 'AdamW warmup + cosine',
  'lion-constant': 'Lion constant',
  metaoptimize: 'MetaOptimize',
  robustness: 'alpha0 sweep',
  'tuning-free': 'tuning-free',
};

/** One line of the main table: a tuned baseline family, one MetaOptimize variant, or one tuning-free method. */
export interface MethodRow {
  method: string;
  kind: 'baseline' | 'metaoptimize' | 'tuning-free';
  group: RunGroup;
  /** The chosen run (best of the grid, or the variant's only run); null if none finished. */
  run: RunSummary | null;
  /** Runs that the method's result cost: the whole grid, or the one run. */
  cost: { runs: number; steps: number; tokens: number; wallSec: number };
  /** The grid values, for "at the edge of its grid" warnings. */
  grid: number[];
}

export function methodRows(summaries: RunSummary[]): MethodRow[] {
  const rows: MethodRow[] = [];
  for (const group of BASELINE_GROUPS) {
    const runs = summaries.filter((s) => s.spec.group === group);
    if (runs.length)
      rows.push({
        method: GROUP_NAMES[group],
        kind: 'baseline',
        group,
        run: pickBest(runs),
        cost: costOf(runs),
        grid: runs.map((r) => r.spec.hyper.lr),
      });
  }
  for (const s of summaries.filter((x) => x.spec.group === 'metaoptimize'))
    rows.push({
      method: s.spec.method,
      kind: 'metaoptimize',
      group: 'metaoptimize',
      run: s,
      cost: costOf([s]),
      grid: [],
    });
  for (const s of summaries.filter((x) => x.spec.group === 'tuning-free'))
    rows.push({
      method: s.spec.method,
      kind: 'tuning-free',
      group: 'tuning-free',
      run: s,
      cost: costOf([s]),
      grid: [],
    });
  return rows;
}

function costOf(runs: RunSummary[]): MethodRow['cost'] {
  return {
    runs: runs.length,
    steps: sum(runs.map((r) => r.steps)),
    tokens: sum(runs.map((r) => r.tokens)),
    wallSec: sum(runs.map((r) => r.wallSec)),
  };
}

export function hyperText(r: RunSummary): string {
  const h = r.spec.hyper;
  if (r.spec.group === 'metaoptimize' || r.spec.group === 'robustness')
    return `α0 = ${formatLr(h.lr)}, η = ${h.metaLr}, ${h.blocks}`;
  if (r.spec.group === 'tuning-free')
    return `authors' defaults (configs/optim/${r.spec.optim}): lr = ${formatLr(h.lr)}${h.warmupSteps !== undefined ? `, warmup ${h.warmupSteps}` : ''}`;
  if (h.schedule === 'cosine') return `peak lr = ${formatLr(h.lr)}, warmup ${h.warmupSteps}, cosine to lr/10`;
  return `lr = ${formatLr(h.lr)}`;
}

/** Plain sentences from the numbers: who won, by how much, where MetaOptimize lost, what tuning cost. */
export function reportSentences(summaries: RunSummary[], steps: number): string[] {
  const rows = methodRows(summaries);
  const baselines = rows.filter((r) => r.kind === 'baseline' && r.run);
  const metas = rows.filter((r) => r.kind === 'metaoptimize');
  const bestBaseline = minBy(baselines, (r) => r.run!.finalValLoss);
  const out: string[] = [];
  const all = rows.filter((r) => r.run && !r.run.diverged);
  const overall = minBy(all, (r) => r.run!.finalValLoss);
  if (overall)
    out.push(
      `Lowest final val loss: ${overall.method} (${fmtLoss(overall.run!.finalValLoss)}, ${hyperText(overall.run!)}).`,
    );
  for (const row of rows.filter((r) => r.kind === 'baseline')) {
    const noisy = nonUnimodal(summaries.filter((s) => s.spec.group === row.group));
    if (noisy)
      out.push(
        `The ${row.method} grid is not unimodal in lr (final val loss ${noisy}): differences of this size are within the noise of the val estimate (train.evalIters batches), so the choice within this grid is uncertain.`,
      );
  }
  for (const row of baselines) {
    const edge = edgeOf(row);
    if (edge)
      out.push(
        `The chosen ${row.method} lr ${formatLr(row.run!.spec.hyper.lr)} is at the ${edge} edge of its grid, so that baseline may be under-tuned: a ${edge === 'upper' ? 'larger' : 'smaller'} lr might do better.`,
      );
  }
  let wins = 0;
  for (const m of metas) {
    const sentence = metaSentence(m, baselines, bestBaseline);
    if (sentence) out.push(sentence.text);
    if (sentence?.beatBest) wins++;
  }
  if (metas.length && bestBaseline) {
    const finished = metas.filter((m) => m.run && !m.run.diverged);
    const bestMeta = minBy(finished, (m) => m.run!.finalValLoss);
    out.push(
      `Overall, ${wins} of ${metas.length} MetaOptimize variants reached a final val loss at or below the best tuned baseline (${bestBaseline.method}, ${fmtLoss(bestBaseline.run!.finalValLoss)})` +
        (bestMeta
          ? `; the best variant, ${bestMeta.method}, was ${relText(bestMeta.run!.finalValLoss, bestBaseline.run!.finalValLoss, 'that baseline')}.`
          : '; none finished.'),
    );
  }
  out.push(...tuningFreeSentences(rows, bestBaseline));
  out.push(
    ...costSentences(rows),
    ...robustnessSentences(summaries, bestBaseline),
    ...switchSentences(summaries),
    ...onlineLossSentences(rows),
  );
  const failed = summaries.filter((s) => s.diverged);
  if (failed.length)
    out.push(
      `${failed.length} run(s) failed or diverged and were left out of every "best" choice: ${failed.map((f) => f.spec.id).join(', ')}.`,
    );
  const metaLr = metas[0]?.run?.spec.hyper.metaLr;
  out.push(
    `Each run is ${steps} steps${metas[0]?.run ? ` (${fmtTokens(metas[0].run.tokens)} tokens)` : ''}; ` +
      (metaLr !== undefined && metaLr > 1e-3
        ? `for runs this short the meta step size η was raised from the paper's 1e-3 to ${metaLr} (a fixed rule in src/compare/grid.ts, not tuned), and `
        : '') +
      "the paper's results are for much longer runs, so small differences here say little about long training.",
  );
  return out;
}

function metaSentence(
  m: MethodRow,
  baselines: MethodRow[],
  bestBaseline: MethodRow | null,
): { text: string; beatBest: boolean } | null {
  const r = m.run;
  if (!r) return null;
  if (r.diverged) return { text: `${m.method} failed or diverged (see logs/${r.spec.id}.log).`, beatBest: false };
  const refGroup: RunGroup = r.spec.optim.startsWith('mo-lion') ? 'lion-constant' : 'adamw-constant';
  const ref = baselines.find((b) => b.group === refGroup);
  let text =
    `${m.method}, started untuned at α0 = ${formatLr(r.spec.hyper.lr)}` +
    (ref?.run
      ? ` (${Math.round(ref.run.spec.hyper.lr / r.spec.hyper.lr)}× below the tuned ${ref.method} lr ${formatLr(ref.run.spec.hyper.lr)})`
      : '') +
    `, ended at val loss ${fmtLoss(r.finalValLoss)}`;
  if (ref?.run) text += `, ${relText(r.finalValLoss, ref.run.finalValLoss, `tuned ${ref.method}`)}`;
  if (bestBaseline?.run && bestBaseline !== ref)
    text += `${ref?.run ? ' and' : ','} ${relText(r.finalValLoss, bestBaseline.run.finalValLoss, `the best tuned baseline, ${bestBaseline.method}`)}`;
  const lr = r.finalLr;
  const stepText =
    lr.length === 1
      ? `its step size ended at ${fmtNum(lr[0])}`
      : `its ${lr.length} block step sizes ended between ${fmtNum(Math.min(...lr))} and ${fmtNum(Math.max(...lr))}`;
  const beatBest = !!bestBaseline?.run && r.finalValLoss <= bestBaseline.run.finalValLoss * 1.005;
  let climb = '';
  if (ref?.run) {
    const reached = firstStepAtOrAbove(r, ref.run.spec.hyper.lr);
    if (reached !== undefined)
      climb =
        reached === null
          ? `; its step size never reached the tuned lr ${formatLr(ref.run.spec.hyper.lr)}`
          : `; its step size (geometric mean over blocks) first reached the tuned lr ${formatLr(ref.run.spec.hyper.lr)} at step ${reached} of ${r.steps}`;
  }
  return { text: `${text}; ${stepText} (largest ${fmtNum(r.maxLr)})${climb}.`, beatBest };
}

/**
 * The tuning-free methods, each run once at its authors' defaults: final val loss against the best tuned
 * baseline, and the step size it settled on (metrics.jsonl `lr`: d·lr, η or Σs·lr; `learned`: d, η, Σs).
 */
function tuningFreeSentences(rows: MethodRow[], bestBaseline: MethodRow | null): string[] {
  return rows
    .filter((r) => r.kind === 'tuning-free' && r.run)
    .map((m) => {
      const r = m.run!;
      if (r.diverged)
        return `${m.method} (tuning-free, authors' defaults) failed or diverged (see logs/${r.spec.id}.log).`;
      const last = readMetrics(r.dir)
        .filter((x) => x.learned !== undefined)
        .at(-1)?.learned;
      const learned = last
        ? Object.entries(last)
            .map(([k, v]) => `${k} = ${fmtNum(v)}`)
            .join(', ')
        : null;
      return (
        `${m.method} (tuning-free, one run at its authors' defaults) ended at val loss ${fmtLoss(r.finalValLoss)}` +
        (bestBaseline?.run
          ? `, ${relText(r.finalValLoss, bestBaseline.run.finalValLoss, `the best tuned baseline, ${bestBaseline.method}`)}`
          : '') +
        (r.finalLr.length
          ? `; its effective step size ended at ${fmtNum(r.finalLr[0])}${learned ? ` (${learned})` : ''}`
          : '') +
        '.'
      );
    });
}

/** First logged step whose geometric-mean step size is >= lr; null if never; undefined without metrics. */
function firstStepAtOrAbove(r: RunSummary, lr: number): number | null | undefined {
  const rows = readMetrics(r.dir).filter((m) => m.lr !== undefined);
  if (!rows.length) return undefined;
  const hit = rows.find((m) => Math.exp(mean(toArray(m.lr).map(Math.log))) >= lr * (1 - 1e-9));
  return hit ? hit.step : null;
}

/** `2.1% worse than X (2.345)` / `0.8% better than X (...)` / `within 0.5% of X (...)`; lower loss is better. */
export function relText(value: number, ref: number, refName: string): string {
  const d = (value - ref) / ref;
  const named = `${refName} (${fmtLoss(ref)})`;
  if (Math.abs(d) <= 0.005) return `within 0.5% of ${named}, a tie`;
  return d < 0 ? `${(-100 * d).toFixed(1)}% better than ${named}` : `${(100 * d).toFixed(1)}% worse than ${named}`;
}

function costSentences(rows: MethodRow[]): string[] {
  const baselines = rows.filter((r) => r.kind === 'baseline');
  const meta = rows.find((r) => r.kind === 'metaoptimize' && r.run);
  if (!baselines.length) return [];
  const total = {
    runs: sum(baselines.map((b) => b.cost.runs)),
    steps: sum(baselines.map((b) => b.cost.steps)),
    tokens: sum(baselines.map((b) => b.cost.tokens)),
    wallSec: sum(baselines.map((b) => b.cost.wallSec)),
  };
  const each = baselines.map((b) => `${b.method} ${b.cost.runs} runs, ${formatDuration(b.cost.wallSec)}`).join('; ');
  let text = `Tuning the baselines by grid search took ${total.runs} runs, ${total.steps} steps, ${fmtTokens(total.tokens)} tokens and ${formatDuration(total.wallSec)} of run time (${each})`;
  if (meta?.run && meta.cost.wallSec > 0) {
    text +=
      `; one MetaOptimize run took ${meta.cost.steps} steps, ${fmtTokens(meta.cost.tokens)} tokens and ${formatDuration(meta.cost.wallSec)}, ` +
      `${(total.wallSec / meta.cost.wallSec).toFixed(1)}× less wall time than all the grids`;
  }
  return [
    text +
      '. Wall times depend on what else ran on the machine at the time (runs in parallel share it); steps and tokens are the load-independent cost, and the step-time overhead of MetaOptimize is measured by the benchmarks, not here.',
  ];
}

function robustnessSentences(summaries: RunSummary[], bestBaseline: MethodRow | null): string[] {
  const sweep = summaries
    .filter((s) => s.spec.group === 'robustness')
    .sort((a, b) => a.spec.hyper.lr - b.spec.hyper.lr);
  if (!sweep.length) return [];
  const ok = sweep.filter((s) => !s.diverged);
  const lo = sweep[0].spec.hyper.lr,
    hi = sweep[sweep.length - 1].spec.hyper.lr;
  let text = `Robustness: ${sweep[0].spec.method} from α0 = ${formatLr(lo)} to ${formatLr(hi)} (${sweep.length} runs, ${Math.round(Math.log10(hi / lo))} orders of magnitude)`;
  if (!ok.length) return [`${text}: every run failed.`];
  const losses = ok.map((s) => s.finalValLoss);
  const best = minBy(ok, (s) => s.finalValLoss)!,
    worst = ok.reduce((a, b) => (b.finalValLoss > a.finalValLoss ? b : a));
  text += ` ended between ${fmtLoss(Math.min(...losses))} (α0 = ${formatLr(best.spec.hyper.lr)}) and ${fmtLoss(Math.max(...losses))} (α0 = ${formatLr(worst.spec.hyper.lr)}), a spread of ${((100 * (Math.max(...losses) - Math.min(...losses))) / Math.min(...losses)).toFixed(1)}%`;
  if (ok.length < sweep.length) text += `; ${sweep.length - ok.length} diverged`;
  if (bestBaseline?.run) text += `; the best tuned baseline reached ${fmtLoss(bestBaseline.run.finalValLoss)}`;
  return [text + '.'];
}

/**
 * Continual setting: evaluations at a switch step measure the distribution about to be trained on, so
 * the final val loss there measures retention of the other task; the mean online (logged) training loss
 * measures how well each method tracks the changing task.
 */
function onlineLossSentences(rows: MethodRow[]): string[] {
  const chosen = rows.filter((r) => r.run && r.run.switchEvery !== null);
  if (!chosen.length) return [];
  const parts = chosen.map((r) => {
    const losses = readMetrics(r.run!.dir)
      .map((m) => m.loss)
      .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return `${r.kind === 'baseline' ? `${r.method} (tuned)` : r.method} ${fmtLoss(mean(losses))}`;
  });
  return [
    `Mean online training loss over the whole run (the continual-learning measure; the final val loss above is measured on the distribution that starts at the last step): ${parts.join(', ')}.`,
  ];
}

/** Continual setting: did each MetaOptimize step size rise after the switches? */
export function switchSentences(summaries: RunSummary[]): string[] {
  const out: string[] = [];
  for (const s of summaries.filter((x) => x.spec.group === 'metaoptimize' && x.switchEvery !== null && !x.diverged)) {
    const K = s.switchEvery!;
    const rows = readMetrics(s.dir).filter((r) => r.lr !== undefined);
    const alphaAt = (step: number) => {
      const row = rows.reduce<(typeof rows)[number] | null>(
        (best, r) => (r.step <= step && (!best || r.step > best.step) ? r : best),
        null,
      );
      return row ? Math.exp(mean(toArray(row.lr).map(Math.log))) : NaN;
    };
    const switches = switchSteps(s.steps, K).filter((w) => w + K / 2 <= s.steps);
    if (!switches.length) continue;
    const ratios = switches.map((w) => alphaAt(w + Math.floor(K / 2)) / alphaAt(w));
    const rose = ratios.filter((r) => r > 1).length;
    out.push(
      `Continual setting (distribution switched every ${K} steps): the step size of ${s.spec.method} rose in the half-phase after ${rose} of ${switches.length} switches ` +
        `(geometric-mean step size ×${ratios.map((r) => r.toFixed(2)).join(', ×')}).`,
    );
  }
  return out;
}

export function renderReport(
  state: SuiteState,
  summaries: RunSummary[],
  plots: string[],
  cost: string | null = null,
): string {
  const rows = methodRows(summaries);
  const lines = [
    `# nanometa compare: ${state.suite} suite on ${state.config}`,
    '',
    `${summaries.length} runs of ${state.steps} steps${state.sets.length ? `, with ${state.sets.map((s) => `\`--set ${s}\``).join(' ')}` : ''}. ` +
      'Baselines are tuned by grid search (the chosen run is the lowest final val loss of its grid); MetaOptimize runs are not tuned.',
    '',
    '| Method | Chosen hyper-parameters | Final train loss | Final val loss | Best val loss | Tokens | Wall time | Cost of tuning (runs · steps · tokens · wall) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const s = r.run;
    const cost = `${r.cost.runs} · ${r.cost.steps} · ${fmtTokens(r.cost.tokens)} · ${formatDuration(r.cost.wallSec)}`;
    if (!s) lines.push(`| ${r.method} | (no run finished) | | | | | | ${cost} |`);
    else
      lines.push(
        `| ${r.kind === 'baseline' ? `${r.method} (tuned)` : r.method} | ${hyperText(s)} | ${fmtLoss(s.finalTrainLoss)} | ${fmtLoss(s.finalValLoss)} | ${fmtLoss(s.bestValLoss)} | ${fmtTokens(s.tokens)} | ${formatDuration(s.wallSec)} | ${cost} |`,
      );
  }
  lines.push('', '## What it shows', '', ...reportSentences(summaries, state.steps).map((s) => `- ${s}`), '');
  if (plots.length) lines.push('## Plots', '', ...plots.map((p) => `![${p}](${p})`), '');
  if (cost) lines.push('## Cost of each method (step time and optimizer memory against AdamW)', '', cost, '');
  lines.push(
    '## All runs',
    '',
    '| Run | Method | Hyper-parameters | Status | Final val loss | Best val loss | Wall time |',
    '|---|---|---|---|---:|---:|---:|',
  );
  for (const s of summaries)
    lines.push(
      `| ${s.spec.id} | ${s.spec.method} | ${hyperText(s)} | ${s.diverged && s.status === 'done' ? 'diverged' : s.status} | ${fmtLoss(s.finalValLoss)} | ${fmtLoss(s.bestValLoss)} | ${formatDuration(s.wallSec)} |`,
    );
  lines.push(
    '',
    'Per-run numbers: `runs.csv`; run folders (config.json, metrics.jsonl, checkpoint/): `runs/<id>/`; logs: `logs/<id>.log`.',
    '',
  );
  return lines.join('\n');
}

export const CSV_COLUMNS = [
  'id',
  'group',
  'method',
  'optim',
  'lr',
  'schedule',
  'warmupSteps',
  'metaLr',
  'blocks',
  'status',
  'diverged',
  'steps',
  'tokens',
  'wallSec',
  'finalTrainLoss',
  'finalValLoss',
  'bestValLoss',
  'finalStepSizes',
  'maxStepSize',
] as const;

export function runsCsv(summaries: RunSummary[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of summaries) {
    const h = s.spec.hyper;
    const cells = [
      s.spec.id,
      s.spec.group,
      s.spec.method,
      s.spec.optim,
      h.lr,
      h.schedule,
      h.warmupSteps ?? '',
      h.metaLr ?? '',
      h.blocks ?? '',
      s.status,
      s.diverged,
      s.steps,
      s.tokens,
      s.wallSec.toFixed(1),
      s.finalTrainLoss,
      s.finalValLoss,
      s.bestValLoss,
      s.finalLr.map((x) => x.toExponential(4)).join(';'),
      s.maxLr,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** runs.csv and report.md; the report shows DIR/cost.md when compare --cost measured one (compare/cost.ts). */
export function writeReport(outDir: string, state: SuiteState, summaries: RunSummary[], plots: string[]): void {
  writeFileAtomic(join(outDir, 'runs.csv'), runsCsv(summaries));
  writeFileAtomic(join(outDir, 'report.md'), renderReport(state, summaries, plots, readCostTable(outDir)));
}

/** `4.173 at 1e-3, 4.318 at 3e-3, 4.185 at 1e-2` when the losses along the lr grid go down, up and down again (or up, down...). */
function nonUnimodal(runs: RunSummary[]): string | null {
  const ok = runs
    .filter((r) => !r.diverged && Number.isFinite(r.finalValLoss))
    .sort((a, b) => a.spec.hyper.lr - b.spec.hyper.lr);
  const signs = ok
    .slice(1)
    .map((r, i) => Math.sign(r.finalValLoss - ok[i].finalValLoss))
    .filter((x) => x !== 0);
  const turnsUp = signs.findIndex((x) => x > 0);
  if (turnsUp < 0 || !signs.slice(turnsUp).some((x) => x < 0)) return null;
  return ok.map((r) => `${fmtLoss(r.finalValLoss)} at ${formatLr(r.spec.hyper.lr)}`).join(', ');
}

function edgeOf(row: MethodRow): 'upper' | 'lower' | null {
  if (!row.run || row.grid.length < 2) return null;
  const lr = row.run.spec.hyper.lr;
  if (lr >= Math.max(...row.grid)) return 'upper';
  if (lr <= Math.min(...row.grid)) return 'lower';
  return null;
}

function csvCell(v: unknown): string {
  const s = typeof v === 'number' && !Number.isFinite(v) ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '—';
}

export function fmtTokens(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function fmtNum(x: number): string {
  return Number.isFinite(x) ? x.toExponential(1).replace('e+', 'e') : '—';
}

function minBy<T>(items: T[], key: (t: T) => number): T | null {
  let best: T | null = null;
  for (const t of items) if (Number.isFinite(key(t)) && (best === null || key(t) < key(best))) best = t;
  return best;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function mean(xs: number[]): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}
