// The compare report: report.md (one table of tuned baselines vs MetaOptimize variants with the cost of
// tuning, then plain sentences generated from the numbers, losses included) and runs.csv (one row per run).
import { join } from 'node:path';
import { readCostTable } from './cost.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { switchSteps } from '../data/nonstationary.js';
import { BASELINE_GROUPS, formatLr, isTuningRun, specKey, type RunGroup } from './grid.js';
import { formatDuration } from './progress.js';
import {
  mean,
  pickBest,
  readMetrics,
  selectionLoss,
  selectionLossName,
  toArray,
  type RunSummary,
  type SuiteState,
} from './runs.js';

const GROUP_NAMES: Record<RunGroup, string> = {
  'adamw-constant': 'AdamW constant',
  'adamw-cosine': 'AdamW warmup + cosine',
  'lion-constant': 'Lion constant',
  metaoptimize: 'MetaOptimize',
  robustness: 'alpha0 sweep',
  'tuning-free': 'tuning-free',
  ablation: 'ablation',
};

/** Final val loss of a method over its seeds: mean, sample standard deviation (NaN for one seed), seeds counted. */
export interface SeedStat {
  mean: number;
  std: number;
  /** Seeds that finished without diverging (the mean is over these). */
  n: number;
  /** Seeds run or planned so far. */
  of: number;
}

export function seedStat(runs: RunSummary[], value: (r: RunSummary) => number = (r) => r.finalValLoss): SeedStat {
  const xs = runs.filter((r) => !r.diverged && r.status === 'done' && Number.isFinite(value(r))).map(value);
  const m = mean(xs);
  const std = xs.length > 1 ? Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1)) : NaN;
  return { mean: m, std, n: xs.length, of: runs.length };
}

/** One line of the main table: a tuned baseline family, one MetaOptimize variant, or one tuning-free method. */
export interface MethodRow {
  method: string;
  kind: 'baseline' | 'metaoptimize' | 'tuning-free';
  group: RunGroup;
  /** The chosen run on the tuning seed (best of the grid, or the method's run); null if none finished. */
  run: RunSummary | null;
  /** The chosen hyper-parameters on every seed (the chosen run included). */
  runs: RunSummary[];
  /** Final val loss over `runs`. */
  val: SeedStat;
  /** Runs that the method's result cost: the whole grid (on the tuning seed), or the one run. */
  cost: { runs: number; steps: number; tokens: number; wallSec: number };
  /** The grid values, for "at the edge of its grid" warnings. */
  grid: number[];
}

/**
 * The table's rows. A baseline's lr is chosen on the tuning seed (seed 1; the only one in single-seed suites)
 * and reported over every seed it ran on; MetaOptimize variants and tuning-free methods over their seeds.
 */
export function methodRows(summaries: RunSummary[]): MethodRow[] {
  const rows: MethodRow[] = [];
  const sameKey = (r: RunSummary) => summaries.filter((s) => specKey(s.spec) === specKey(r.spec));
  for (const group of BASELINE_GROUPS) {
    const tuning = summaries.filter((s) => s.spec.group === group && isTuningRun(s.spec));
    if (!tuning.length) continue;
    const run = pickBest(tuning);
    const runs = run ? sameKey(run) : [];
    rows.push({
      method: GROUP_NAMES[group],
      kind: 'baseline',
      group,
      run,
      runs,
      val: seedStat(runs),
      cost: costOf(tuning),
      grid: tuning.map((r) => r.spec.hyper.lr),
    });
  }
  for (const kind of ['metaoptimize', 'tuning-free'] as const)
    for (const runs of byKey(summaries.filter((x) => x.spec.group === kind))) {
      const run = runs.find((r) => isTuningRun(r.spec)) ?? runs[0];
      rows.push({
        method: run.spec.method,
        kind,
        group: kind,
        run,
        runs,
        val: seedStat(runs),
        cost: costOf([run]),
        grid: [],
      });
    }
  return rows;
}

/** Runs grouped by method key (the id less the seed), in first-seen order. */
export function byKey(summaries: RunSummary[]): RunSummary[][] {
  const groups = new Map<string, RunSummary[]>();
  for (const s of summaries) {
    const key = specKey(s.spec);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(s);
  }
  return [...groups.values()];
}

/** `2.345` for one seed; `2.345 ± 0.012 (3 seeds)` for several. */
export function fmtStat(s: SeedStat): string {
  if (s.n === 0) return '—';
  if (s.of <= 1) return fmtLoss(s.mean);
  return s.n > 1 ? `${fmtLoss(s.mean)} ± ${fmtLoss(s.std)} (${s.n} seeds)` : `${fmtLoss(s.mean)} (1 seed)`;
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
  if (r.spec.group === 'metaoptimize' || r.spec.group === 'robustness' || r.spec.group === 'ablation')
    return (
      `α0 = ${formatLr(h.lr)}, η = ${h.metaLr}, ${h.blocks}` +
      (h.gamma !== undefined ? `, γ = ${h.gamma}` : '') +
      (h.envelope ? `, × ${h.envelope} decay to 1/10` : '')
    );
  if (r.spec.group === 'tuning-free')
    return `authors' defaults (configs/optim/${r.spec.optim}): lr = ${formatLr(h.lr)}${h.warmupSteps !== undefined ? `, warmup ${h.warmupSteps}` : ''}`;
  if (h.schedule === 'cosine') return `peak lr = ${formatLr(h.lr)}, warmup ${h.warmupSteps}, cosine to lr/10`;
  return `lr = ${formatLr(h.lr)}`;
}

/** Plain sentences from the numbers: who won, by how much, where MetaOptimize lost, what tuning cost. */
export function reportSentences(summaries: RunSummary[], steps: number): string[] {
  const rows = methodRows(summaries);
  const baselines = rows.filter((r) => r.kind === 'baseline' && r.run && r.val.n > 0);
  const metas = rows.filter((r) => r.kind === 'metaoptimize');
  const bestBaseline = minBy(baselines, (r) => r.val.mean);
  const out: string[] = [];
  const seeds = Math.max(0, ...rows.map((r) => r.val.of));
  if (seeds > 1)
    out.push(
      `Losses are means ± sample standard deviation over training seeds (each seed: initialisation, batch order, dropout; every seed is evaluated on the same batches). Each baseline's lr was chosen on seed 1 alone and then run on the other seeds, so its mean is not biased by picking the luckiest seed.`,
    );
  const all = rows.filter((r) => r.run && r.val.n > 0);
  const overall = minBy(all, (r) => r.val.mean);
  if (overall)
    out.push(`Lowest final val loss: ${overall.method} (${fmtStat(overall.val)}, ${hyperText(overall.run!)}).`);
  for (const row of rows.filter((r) => r.kind === 'baseline')) {
    const grid = summaries.filter((s) => s.spec.group === row.group && isTuningRun(s.spec)); // the grid: seed 1
    const noisy = nonUnimodal(grid);
    if (noisy)
      out.push(
        `The ${row.method} grid is not unimodal in lr (${selectionLossName(grid)} ${noisy}): differences of this size are within the noise of the estimate, so the choice within this grid is uncertain.`,
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
    const finished = metas.filter((m) => m.run && m.val.n > 0);
    const bestMeta = minBy(finished, (m) => m.val.mean);
    out.push(
      `Overall, ${wins} of ${metas.length} MetaOptimize variants reached a final val loss at or below the best tuned baseline (${bestBaseline.method}, ${fmtStat(bestBaseline.val)})` +
        (bestMeta
          ? `; the best variant, ${bestMeta.method}, was ${relText(bestMeta.val.mean, bestBaseline.val.mean, 'that baseline', fmtStat(bestBaseline.val))}.`
          : '; none finished.'),
    );
  }
  out.push(...claimSentences(rows, summaries));
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
  const unfinished = summaries.filter((s) => !s.diverged && s.status !== 'done');
  if (unfinished.length)
    out.push(
      `${unfinished.length} of ${summaries.length} planned runs have not finished yet (the suite was stopped or is running; the same command resumes it), so every number above is from the finished runs only: ${unfinished.map((f) => f.spec.id).join(', ')}.`,
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
  if (m.val.n === 0)
    return {
      text: m.runs.some((x) => x.diverged)
        ? `${m.method} failed or diverged (see logs/${r.spec.id}.log).`
        : `${m.method}: no run finished yet.`,
      beatBest: false,
    };
  const refGroup: RunGroup = r.spec.optim.startsWith('mo-lion') ? 'lion-constant' : 'adamw-constant';
  const ref = baselines.find((b) => b.group === refGroup);
  let text =
    `${m.method}, started untuned at α0 = ${formatLr(r.spec.hyper.lr)}` +
    (ref?.run
      ? ` (${Math.round(ref.run.spec.hyper.lr / r.spec.hyper.lr)}× below the tuned ${ref.method} lr ${formatLr(ref.run.spec.hyper.lr)})`
      : '') +
    `, ended at val loss ${fmtStat(m.val)}`;
  if (ref?.run) text += `, ${relText(m.val.mean, ref.val.mean, `tuned ${ref.method}`, fmtStat(ref.val))}`;
  if (bestBaseline?.run && bestBaseline !== ref)
    text += `${ref?.run ? ' and' : ','} ${relText(m.val.mean, bestBaseline.val.mean, `the best tuned baseline, ${bestBaseline.method}`, fmtStat(bestBaseline.val))}`;
  if (m.val.n < m.val.of) text += ` (${m.val.of - m.val.n} of ${m.val.of} seeds diverged or not finished, left out)`;
  const lr = r.finalLr;
  const onSeed = m.val.of > 1 ? ` on seed ${r.spec.seed ?? 1}` : '';
  const stepText =
    lr.length === 1
      ? `its step size ended${onSeed} at ${fmtNum(lr[0])}`
      : `its ${lr.length} block step sizes ended${onSeed} between ${fmtNum(Math.min(...lr))} and ${fmtNum(Math.max(...lr))}`;
  const beatBest = !!bestBaseline?.run && m.val.mean <= bestBaseline.val.mean * 1.005;
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
      if (m.val.n === 0)
        return m.runs.some((x) => x.diverged)
          ? `${m.method} (tuning-free, authors' defaults) failed or diverged (see logs/${r.spec.id}.log).`
          : `${m.method} (tuning-free): no run finished yet.`;
      const last = readMetrics(r.dir)
        .filter((x) => x.learned !== undefined)
        .at(-1)?.learned;
      const learned = last
        ? Object.entries(last)
            .map(([k, v]) => `${k} = ${fmtNum(v)}`)
            .join(', ')
        : null;
      return (
        `${m.method} (tuning-free, ${m.val.of > 1 ? 'run' : 'one run'} at its authors' defaults) ended at val loss ${fmtStat(m.val)}` +
        (bestBaseline?.run
          ? `, ${relText(m.val.mean, bestBaseline.val.mean, `the best tuned baseline, ${bestBaseline.method}`, fmtStat(bestBaseline.val))}`
          : '') +
        (r.finalLr.length
          ? `; its effective step size ended at ${fmtNum(r.finalLr[0])}${learned ? ` (${learned})` : ''}`
          : '') +
        '.'
      );
    });
}

/** How close "a few percent" is (claim 1) and how flat "robust" is (claim 2): 3% of the final val loss. */
export const CLAIM_TOLERANCE = 0.03;

/** The geometric mean over blocks of the learned step size at each logged step. */
export function alphaPath(r: RunSummary): { step: number; alpha: number }[] {
  return readMetrics(r.dir)
    .filter((m) => m.lr !== undefined && toArray(m.lr).length > 0)
    .map((m) => ({ step: m.step, alpha: Math.exp(mean(toArray(m.lr).map(Math.log))) }))
    .filter((p) => Number.isFinite(p.alpha));
}

/** Shape of one run's learned step size: rise from alpha0 to its peak, and where it ended against the peak. */
export function alphaShape(
  r: RunSummary,
): { rise: number; peakStep: number; peak: number; endOverPeak: number } | null {
  const path = alphaPath(r);
  if (path.length < 2) return null;
  const peak = path.reduce((a, b) => (b.alpha > a.alpha ? b : a));
  return {
    rise: peak.alpha / r.spec.hyper.lr,
    peakStep: peak.step,
    peak: peak.alpha,
    endOverPeak: path[path.length - 1].alpha / peak.alpha,
  };
}

/** "holds here" when every variant meets a claim, "does not hold here" when none does, else which ones do. */
function claimVerdict(meeting: string[], of: number): string {
  if (meeting.length === 0) return 'does not hold here';
  if (meeting.length === of) return 'holds here';
  return `holds for ${meeting.length} of ${of} variants here (${meeting.join(', ')})`;
}

/**
 * The paper's three claims, each answered from the numbers with its threshold in the sentence: (1) untuned
 * MetaOptimize within CLAIM_TOLERANCE of tuned AdamW + cosine, or better; (2) final loss within
 * CLAIM_TOLERANCE across alpha0 over four decades; (3) learned step sizes that rise at least 2x from alpha0 and
 * end at most half their peak (a warm-up and a decay).
 */
export function claimSentences(rows: MethodRow[], summaries: RunSummary[]): string[] {
  const cosine = rows.find((r) => r.group === 'adamw-cosine' && r.val.n > 0);
  const metas = rows.filter((r) => r.kind === 'metaoptimize' && r.val.n > 0);
  if (!cosine || !metas.length) return [];
  const out: string[] = [];
  const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%`;
  const tol = `${(100 * CLAIM_TOLERANCE).toFixed(0)}%`;
  const diffs = metas.map((m) => {
    const d = (m.val.mean - cosine.val.mean) / cosine.val.mean;
    const se = Math.sqrt((m.val.std ** 2 || 0) / m.val.n + (cosine.val.std ** 2 || 0) / cosine.val.n) / cosine.val.mean;
    return { m, d, se };
  });
  const seeded = metas.some((m) => m.val.n > 1) && cosine.val.n > 1;
  out.push(
    `Claim 1, untuned MetaOptimize within a few percent (≤ ${tol}) of tuned AdamW + cosine, or better: ` +
      `${claimVerdict(
        diffs.filter((x) => x.d <= CLAIM_TOLERANCE).map((x) => x.m.method),
        diffs.length,
      )}. Against tuned AdamW + cosine (${fmtStat(cosine.val)}): ` +
      diffs
        .map(
          ({ m, d, se }) =>
            `${m.method} ${pct(d)}${seeded && Number.isFinite(se) ? ` (± ${(100 * se).toFixed(1)}% standard error)` : ''}`,
        )
        .join(', ') +
      '.',
  );
  const sweep = sweepByAlpha0(summaries);
  if (sweep.length > 1) {
    const ok = sweep.filter((s) => s.val.n > 0);
    const decades = Math.round(Math.log10(sweep[sweep.length - 1].alpha0 / sweep[0].alpha0));
    const losses = ok.map((s) => s.val.mean);
    const spread = ok.length ? (Math.max(...losses) - Math.min(...losses)) / Math.min(...losses) : NaN;
    const failed = sweep.reduce((n, s) => n + s.runs.filter((r) => r.diverged).length, 0);
    const worst = ok.length ? Math.max(...losses) : NaN;
    const holds = decades >= 4 && ok.length === sweep.length && failed === 0 && spread <= CLAIM_TOLERANCE;
    out.push(
      `Claim 2, robust to α0 over four decades (final val loss within ${tol} across α0): ${holds ? 'holds' : 'does not hold'} here: ` +
        `over ${decades} decades of α0 the mean final val losses spread ${Number.isFinite(spread) ? `${(100 * spread).toFixed(1)}%` : '—'}` +
        (failed ? ` and ${failed} run(s) diverged` : '') +
        (Number.isFinite(worst)
          ? `; the worst α0 was ${relText(worst, cosine.val.mean, 'tuned AdamW + cosine', fmtStat(cosine.val))}`
          : '') +
        '.',
    );
  }
  const shapes = metas.map((m) => {
    const per = m.runs
      .filter((r) => !r.diverged)
      .map(alphaShape)
      .filter((x) => x !== null);
    return { m, per };
  });
  const described = shapes.filter((x) => x.per.length);
  if (described.length) {
    const verdicts = described.map(({ m, per }) => {
      const warm = per.every((p) => p.rise >= 2);
      const decay = per.every((p) => p.endOverPeak <= 0.5);
      const steps = per.map((p) => p.peakStep).join(', ');
      const text =
        `${m.method}: rose ×${fmtFactor(geoMean(per.map((p) => p.rise)))} to a peak of ${fmtNum(geoMean(per.map((p) => p.peak)))} at step${per.length > 1 ? `s ${steps} (per seed)` : ` ${steps}`}` +
        ` and ended at ${fmtFactor(geoMean(per.map((p) => p.endOverPeak)))}× its peak (${warm ? 'warm-up' : 'no warm-up'}, ${decay ? 'decay' : 'no decay'})`;
      return { text, both: warm && decay };
    });
    const n = verdicts.filter((v) => v.both).length;
    out.push(
      `Claim 3, learned step sizes that warm up and then decay (geometric mean over blocks rising ≥ 2× from α0, then ending ≤ ½ its peak, on every seed): ` +
        `${n === verdicts.length ? 'holds' : n ? `holds for ${n} of ${verdicts.length} variants` : 'does not hold'} here. ` +
        verdicts.map((v) => v.text).join('; ') +
        '. Tuned AdamW + cosine ends at a tenth of its peak lr by construction.',
    );
  }
  return out;
}

function geoMean(xs: number[]): number {
  return Math.exp(mean(xs.map(Math.log)));
}

function fmtFactor(x: number): string {
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2);
}

/** First logged step whose geometric-mean step size is >= lr; null if never; undefined without metrics. */
function firstStepAtOrAbove(r: RunSummary, lr: number): number | null | undefined {
  const rows = readMetrics(r.dir).filter((m) => m.lr !== undefined);
  if (!rows.length) return undefined;
  const hit = rows.find((m) => Math.exp(mean(toArray(m.lr).map(Math.log))) >= lr * (1 - 1e-9));
  return hit ? hit.step : null;
}

/** `2.1% worse than X (2.345)` / `0.8% better than X (...)` / `within 0.5% of X (...)`; lower loss is better. */
export function relText(value: number, ref: number, refName: string, refShown = fmtLoss(ref)): string {
  const d = (value - ref) / ref;
  const named = `${refName} (${refShown})`;
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

/** The alpha0 sweep, one entry per alpha0 (its seeds), sorted by alpha0. */
export function sweepByAlpha0(summaries: RunSummary[]): { alpha0: number; runs: RunSummary[]; val: SeedStat }[] {
  return byKey(summaries.filter((s) => s.spec.group === 'robustness'))
    .map((runs) => ({ alpha0: runs[0].spec.hyper.lr, runs, val: seedStat(runs) }))
    .sort((a, b) => a.alpha0 - b.alpha0);
}

function robustnessSentences(summaries: RunSummary[], bestBaseline: MethodRow | null): string[] {
  const sweep = sweepByAlpha0(summaries);
  if (!sweep.length) return [];
  const ok = sweep.filter((s) => s.val.n > 0);
  const seeds = Math.max(...sweep.map((s) => s.val.of));
  const lo = sweep[0].alpha0,
    hi = sweep[sweep.length - 1].alpha0;
  let text = `Robustness: ${sweep[0].runs[0].spec.method} from α0 = ${formatLr(lo)} to ${formatLr(hi)} (${seeds > 1 ? `${sweep.length} values × ${seeds} seeds` : `${sweep.length} runs`}, ${Math.round(Math.log10(hi / lo))} orders of magnitude)`;
  if (!ok.length)
    return [
      `${text}: ${sweep.some((s) => s.runs.some((r) => r.diverged)) ? 'every finished run failed' : 'no run finished yet'}.`,
    ];
  const losses = ok.map((s) => s.val.mean);
  const best = minBy(ok, (s) => s.val.mean)!,
    worst = ok.reduce((a, b) => (b.val.mean > a.val.mean ? b : a));
  text += ` ended between ${fmtStat(best.val)} (α0 = ${formatLr(best.alpha0)}) and ${fmtStat(worst.val)} (α0 = ${formatLr(worst.alpha0)}), a spread of ${((100 * (Math.max(...losses) - Math.min(...losses))) / Math.min(...losses)).toFixed(1)}%`;
  const failed = sweep.reduce((n, s) => n + s.runs.filter((r) => r.diverged).length, 0);
  if (failed) text += `; ${failed} run(s) diverged`;
  if (bestBaseline?.run) text += `; the best tuned baseline reached ${fmtStat(bestBaseline.val)}`;
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
  const parts = chosen.map(
    (r) => `${r.kind === 'baseline' ? `${r.method} (tuned)` : r.method} ${fmtLoss(r.run!.meanOnlineLoss)}`,
  );
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

/** One ablation beside the unchanged variant's run on the same seed and the tuned AdamW + cosine. */
export interface AblationRow {
  run: RunSummary;
  /** The unchanged variant's run on the same seed; null until it has finished. */
  reference: RunSummary | null;
  /** (ablation − reference) / reference, final val loss; NaN without both. */
  vsReference: number;
  /** Against the mean of tuned AdamW + cosine over its seeds; NaN without it. */
  vsCosine: number;
  shape: ReturnType<typeof alphaShape>;
}

export function ablationRows(summaries: RunSummary[]): AblationRow[] {
  const cosine = methodRows(summaries).find((r) => r.group === 'adamw-cosine' && r.val.n > 0);
  const usable = (r: RunSummary | null | undefined) =>
    r && r.status === 'done' && !r.diverged && Number.isFinite(r.finalValLoss) ? r : null;
  return summaries
    .filter((s) => s.spec.group === 'ablation')
    .map((run) => {
      const reference =
        usable(summaries.find((s) => specKey(s.spec) === run.spec.hyper.reference && s.spec.seed === run.spec.seed)) ??
        null;
      const own = usable(run);
      const rel = (ref: number) => (own ? (own.finalValLoss - ref) / ref : NaN);
      return {
        run,
        reference,
        vsReference: reference ? rel(reference.finalValLoss) : NaN,
        vsCosine: cosine ? rel(cosine.val.mean) : NaN,
        shape: own ? alphaShape(own) : null,
      };
    });
}

/**
 * The ablations' section: a table (each run against its unchanged variant on the same seed and against tuned
 * AdamW + cosine) with the seed spread that tells a real change from noise.
 */
export function ablationSection(summaries: RunSummary[]): string[] {
  const rows = ablationRows(summaries);
  if (!rows.length) return [];
  const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%` : '—');
  const metas = methodRows(summaries).filter((r) => r.kind === 'metaoptimize' && r.val.n > 1);
  const noise = metas.length ? Math.max(...metas.map((m) => m.val.std / m.val.mean)) : NaN;
  const seeds = [...new Set(rows.map((r) => r.run.spec.seed ?? 1))].join(', ');
  const lines = [
    '## Why: one change at a time',
    '',
    `Each run changes one thing in an untuned MetaOptimize variant (same α0, data and seed ${seeds}) and is compared with that variant's unchanged run on the same seed` +
      (Number.isFinite(noise)
        ? `; across seeds the MetaOptimize variants' final val loss varies by up to ${(100 * noise).toFixed(1)}% (one standard deviation), so smaller differences are noise.`
        : '.'),
    '',
    '| Run | Change | Hyper-parameters | Final val loss | vs unchanged (same seed) | vs tuned AdamW + cosine | Step size used: peak (step) → end |',
    '|---|---|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const sh = r.shape;
    lines.push(
      `| ${r.run.spec.id} | ${r.run.spec.hyper.change ?? ''} | ${hyperText(r.run)} | ${r.run.status === 'done' ? fmtLoss(r.run.finalValLoss) : r.run.status} | ` +
        `${pct(r.vsReference)}${r.reference ? ` (${fmtLoss(r.reference.finalValLoss)})` : ''} | ${pct(r.vsCosine)} | ` +
        `${sh ? `${fmtNum(sh.peak)} (${sh.peakStep}) → ${fmtFactor(sh.endOverPeak)}× peak` : '—'} |`,
    );
  }
  lines.push('');
  return lines;
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
    `${summaries.length} runs of ${state.steps} steps${(state.seeds ?? 1) > 1 ? ` (${state.seeds} training seeds per method)` : ''}${state.sets.length ? `, with ${state.sets.map((s) => `\`--set ${s}\``).join(' ')}` : ''}. ` +
      `Baselines are tuned by grid search (the chosen run is the lowest ${selectionLossName(summaries)} of its grid` +
      ((state.seeds ?? 1) > 1 ? ' on seed 1, then run on every seed' : '') +
      '); MetaOptimize runs are not tuned.' +
      (state.best === null && !summaries.some((s) => s.spec.group === 'metaoptimize')
        ? ' The MetaOptimize runs (and the tuned baselines on the other seeds) are not planned yet: they start when the grids have finished.'
        : ''),
    '',
    '| Method | Chosen hyper-parameters | Final train loss | Final val loss | Best val loss | Tokens | Wall time | Cost of tuning (runs · steps · tokens · wall) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const s = r.run;
    const cost = `${r.cost.runs} · ${r.cost.steps} · ${fmtTokens(r.cost.tokens)} · ${formatDuration(r.cost.wallSec)}`;
    // several seeds: the mean of each loss over the seeds that finished, the val loss with its spread
    const meanOf = (value: (x: RunSummary) => number) => fmtLoss(seedStat(r.runs, value).mean);
    if (!s) lines.push(`| ${r.method} | (no run finished) | | | | | | ${cost} |`);
    else
      lines.push(
        `| ${r.kind === 'baseline' ? `${r.method} (tuned)` : r.method} | ${hyperText(s)} | ${meanOf((x) => x.finalTrainLoss)} | ${r.val.n ? fmtStat(r.val) : fmtLoss(s.finalValLoss)} | ${meanOf((x) => x.bestValLoss)} | ${fmtTokens(s.tokens)} | ${formatDuration(s.wallSec)} | ${cost} |`,
      );
  }
  lines.push('', '## What it shows', '', ...reportSentences(summaries, state.steps).map((s) => `- ${s}`), '');
  lines.push(...ablationSection(summaries));
  if (plots.length) lines.push('## Plots', '', ...plots.map((p) => `![${p}](${p})`), '');
  if (cost) lines.push('## Cost of each method (step time and optimizer memory against AdamW)', '', cost, '');
  lines.push(
    '## All runs',
    '',
    '| Run | Method | Hyper-parameters | Seed | Status | Final val loss | Best val loss | Wall time |',
    '|---|---|---|---:|---|---:|---:|---:|',
  );
  for (const s of summaries)
    lines.push(
      `| ${s.spec.id} | ${s.spec.method} | ${hyperText(s)} | ${s.spec.seed ?? ''} | ${s.diverged && s.status === 'done' ? 'diverged' : s.status} | ${fmtLoss(s.finalValLoss)} | ${fmtLoss(s.bestValLoss)} | ${formatDuration(s.wallSec)} |`,
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
  'seed',
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
      s.spec.seed ?? '',
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

/**
 * The grid's losses (the ones it is tuned on, selectionLoss) when they go down, up and down again along lr, as
 * `4.173 at 1e-3, 4.318 at 3e-3, 4.185 at 1e-2`; null when they do not.
 */
function nonUnimodal(runs: RunSummary[]): string | null {
  const ok = runs
    .filter((r) => !r.diverged && r.status === 'done' && Number.isFinite(selectionLoss(r)))
    .sort((a, b) => a.spec.hyper.lr - b.spec.hyper.lr);
  const signs = ok
    .slice(1)
    .map((r, i) => Math.sign(selectionLoss(r) - selectionLoss(ok[i])))
    .filter((x) => x !== 0);
  const turnsUp = signs.findIndex((x) => x > 0);
  if (turnsUp < 0 || !signs.slice(turnsUp).some((x) => x < 0)) return null;
  return ok.map((r) => `${fmtLoss(selectionLoss(r))} at ${formatLr(r.spec.hyper.lr)}`).join(', ');
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
