// The compare suites as data: grid-searched baselines (AdamW constant, AdamW warmup + cosine, Lion
// constant), MetaOptimize variants started from an untuned small alpha0, an alpha0 robustness sweep, after
// the TinyStories experiments of Sharifnassab, Salehkaleybar & Sutton (ICML 2025), section 6, and the
// tuning-free methods (lr-free.md), one run each at their authors' defaults.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../util/errors.js';

export type SuiteName = 'quick' | 'paper' | 'continual' | 'tinystories' | 'tinystories-continual';
export const SUITE_NAMES: readonly SuiteName[] = [
  'quick',
  'paper',
  'continual',
  'tinystories',
  'tinystories-continual',
];

/** Which family a run belongs to; the best run of each baseline family is its "tuned" result. */
export type RunGroup =
  'adamw-constant' | 'adamw-cosine' | 'lion-constant' | 'metaoptimize' | 'robustness' | 'tuning-free' | 'ablation';
export const BASELINE_GROUPS: readonly RunGroup[] = ['adamw-constant', 'adamw-cosine', 'lion-constant'];

export interface MetaVariant {
  /** Run-id stem, e.g. `mo-adamw-lion-layerwise`. */
  key: string;
  /** Display name, e.g. `MO(AdamW, Lion) layerwise`. */
  method: string;
  /** Optimizer preset in configs/optim/ that sets base and meta optimizers. */
  optim: string;
  /** Base family: alpha0 is placed relative to this family's best constant lr. */
  base: 'adamw' | 'lion';
  blocks: 'scalar' | 'layerwise';
}

/** A tuning-free method: its preset in configs/optim/ (the authors' defaults) and that preset's optimizer.lr. */
export interface TuningFreeMethod {
  key: string;
  method: string;
  lr: number;
}

/** Every suite runs these once each, untuned, like MetaOptimize's variants (issue 15). */
export const TUNING_FREE: readonly TuningFreeMethod[] = [
  { key: 'schedulefree-adamw', method: 'Schedule-Free AdamW', lr: 2.5e-3 },
  { key: 'prodigy', method: 'Prodigy', lr: 1 },
  { key: 'dog', method: 'DoG (averaged)', lr: 1 },
  { key: 'dadapt-adam', method: 'D-Adaptation Adam', lr: 1 },
  { key: 'mechanic-adamw', method: 'mechanic(AdamW)', lr: 1 },
];

/**
 * A "why" experiment (issue 16): one MetaOptimize variant at the suite's alpha0 with one thing changed, on the
 * tuning seed only; the report sets it beside the unchanged variant's run on that seed.
 */
export interface Ablation {
  /** Run-id part: `why-<variant>-<key>`. */
  key: string;
  /** Key of the MetaOptimize variant it changes. */
  variant: string;
  /** What changed and why, in words, for the report. */
  change: string;
  /** Multiplies the eta rule's meta step size. */
  metaLrFactor?: number;
  /** Trace decay gamma instead of the preset's (1). */
  gamma?: number;
  /** Multiplies the learned step sizes by a cosine decay from 1 to 1/10 over the run (no warmup, no peak lr). */
  cosineEnvelope?: boolean;
}

export interface SuiteDef {
  name: SuiteName;
  description: string;
  /** Optimizer steps per run unless --steps says otherwise. */
  defaultSteps: number;
  adamwConstant: number[];
  adamwCosine: number[];
  lionConstant: number[];
  variants: MetaVariant[];
  /**
   * alpha0 = best constant lr of the variant's base family times this (0.01 = two orders of magnitude
   * below). Phase 2: MetaOptimize runs are created once the constant grids have finished.
   */
  alpha0Factor: number;
  /** Robustness sweep: this variant at these absolute alpha0 values (four orders of magnitude). */
  robustness: { variant: string; alpha0s: number[] } | null;
  /** Non-stationary data: data.switchEvery = round(steps * this); null = stationary. */
  switchFraction: number | null;
  /** The tuning-free methods, one run each at their defaults (phase 1). */
  tuningFree: readonly TuningFreeMethod[];
  /** Why MetaOptimize wins or loses: single changes to one variant, on the tuning seed (phase 2, queued last). */
  ablations: readonly Ablation[];
  /**
   * Training seeds per method (compare.ts --seeds overrides). With more than one, the grids are searched on
   * seed 1 and the best lr of each family is run again on seeds 2..N; every other method runs on every seed.
   */
  seeds: number;
  /** Real TinyStories text: ../shared's V2 train excerpt for training, its V1 validation stories for validation. */
  realText: boolean;
  /** Further suite-wide --set values (evaluation and checkpoint intervals of long runs). */
  sets: Record<string, string | number>;
}

/**
 * The suite a command line names, with its number of seeds (--seeds, default the suite's), checked: a
 * real-text suite needs ../shared's TinyStories files unless --set data.source and data.valSource replace them.
 */
export function resolveSuite(name: string, seeds: number | undefined, sets: readonly string[]): SuiteDef {
  if (!SUITE_NAMES.includes(name as SuiteName))
    throw new ConfigError(`unknown suite '${name}'`, `use --suite ${SUITE_NAMES.join('|')}`);
  const suite = SUITES[name as SuiteName];
  if (seeds !== undefined && (!Number.isInteger(seeds) || seeds < 1 || seeds > 100))
    throw new ConfigError(`--seeds ${seeds} must be an integer from 1 to 100`, 'e.g. --seeds 3');
  if (suite.realText) {
    const replaced = (key: string) => sets.some((s) => s.startsWith(`${key}=`));
    const dir = tinyStoriesDir();
    for (const [key, file] of [
      ['data.source', TINYSTORIES_TEXT.train],
      ['data.valSource', TINYSTORIES_TEXT.valid],
    ] as const)
      if (!replaced(key) && !existsSync(join(dir, file)))
        throw new ConfigError(
          `--suite ${name} reads ${join(dir, file)}, which does not exist`,
          `put the TinyStories excerpts of ../shared/data/tinystories beside the repository, or --set ${key}=text:PATH`,
        );
  }
  return { ...suite, seeds: seeds ?? suite.seeds };
}

/** The TinyStories files the real-text suites read (../shared/data/tinystories, see its SOURCE.md). */
export const TINYSTORIES_TEXT = {
  train: 'TinyStoriesV2-GPT4-train.head10000.txt',
  valid: 'TinyStories-valid.head1840.txt',
};

/** ../shared/data/tinystories beside the repository, as a path from the working directory (train.ts's). */
export function tinyStoriesDir(): string {
  const abs = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'data', 'tinystories');
  return relative(process.cwd(), abs) || '.';
}

const MO_ADAMW_LION: MetaVariant = {
  key: 'mo-adamw-lion',
  method: 'MO(AdamW, Lion) scalar',
  optim: 'mo-adamw-lion',
  base: 'adamw',
  blocks: 'scalar',
};
const MO_ADAMW_LION_LW: MetaVariant = {
  key: 'mo-adamw-lion-layerwise',
  method: 'MO(AdamW, Lion) layerwise',
  optim: 'mo-adamw-lion-layerwise',
  base: 'adamw',
  blocks: 'layerwise',
};
const MO_ADAMW_ADAM: MetaVariant = {
  key: 'mo-adamw-adam',
  method: 'MO(AdamW, Adam) scalar',
  optim: 'mo-adamw-adam',
  base: 'adamw',
  blocks: 'scalar',
};
const MO_ADAMW_ADAM_LW: MetaVariant = {
  key: 'mo-adamw-adam-layerwise',
  method: 'MO(AdamW, Adam) layerwise',
  optim: 'mo-adamw-adam',
  base: 'adamw',
  blocks: 'layerwise',
};
const MO_LION_LION: MetaVariant = {
  key: 'mo-lion-lion',
  method: 'MO(Lion, Lion) scalar',
  optim: 'mo-lion-lion',
  base: 'lion',
  blocks: 'scalar',
};
const MO_LION_LION_LW: MetaVariant = {
  key: 'mo-lion-lion-layerwise',
  method: 'MO(Lion, Lion) layerwise',
  optim: 'mo-lion-lion',
  base: 'lion',
  blocks: 'layerwise',
};

// Continual learning: the token permutation switches on and off every quarter of the run; the
// learned step sizes should rise after each switch (the paper's non-stationary figures).
const CONTINUAL: SuiteDef = {
  name: 'continual',
  description: 'non-stationary data (token permutation every quarter of the run): AdamW grid vs MetaOptimize',
  defaultSteps: 300,
  adamwConstant: [1e-3, 3e-3, 1e-2],
  adamwCosine: [],
  lionConstant: [],
  variants: [MO_ADAMW_LION, MO_ADAMW_LION_LW],
  alpha0Factor: 0.01,
  robustness: null,
  switchFraction: 0.25,
  tuningFree: TUNING_FREE,
  ablations: [],
  seeds: 1,
  realText: false,
  sets: {},
};

// Why MetaOptimize(AdamW, Lion) ends above tuned AdamW + cosine on TinyStories (issue 16): its step size climbs
// from alpha0 at exactly eta per step in log space (the climb takes half the run), its trace never forgets
// (gamma = 1), and it has no late decay. Each run changes one of these; the envelope one is also run on
// MO(Lion, Lion), the variant closest to cosine.
const TINYSTORIES_ABLATIONS: readonly Ablation[] = [
  {
    key: 'eta-x3',
    variant: 'mo-adamw-lion',
    change: 'η × 3: climbs two decades in a sixth of the run',
    metaLrFactor: 3,
  },
  {
    key: 'eta-x10',
    variant: 'mo-adamw-lion',
    change: 'η × 10: climbs two decades in 1/20 of the run',
    metaLrFactor: 10,
  },
  {
    key: 'gamma-0.999',
    variant: 'mo-adamw-lion',
    change: 'γ = 0.999: the trace forgets over ~1000 steps',
    gamma: 0.999,
  },
  { key: 'gamma-0.99', variant: 'mo-adamw-lion', change: 'γ = 0.99: the trace forgets over ~100 steps', gamma: 0.99 },
  {
    key: 'cosine-envelope',
    variant: 'mo-adamw-lion',
    change: 'learned α × a cosine decay from 1 to 1/10 over the run: the late decay cosine has',
    cosineEnvelope: true,
  },
  {
    key: 'cosine-envelope',
    variant: 'mo-lion-lion',
    change: 'learned α × a cosine decay from 1 to 1/10 over the run: the late decay cosine has',
    cosineEnvelope: true,
  },
];

/**
 * The real-text suites' runs: d 64, 2 layers, 4 heads, T 64, batch 8 (157k parameters; tinystories-tiny's model
 * until 2026-12-04, pinned here so that the committed suites in docs/results resume with the model they started
 * with), a training-loss row every 10 steps, 13 evals of 40 batches, a checkpoint every 250 steps.
 */
const LONG_RUN_SETS = {
  'model.nLayer': 2,
  'model.nHead': 4,
  'model.nEmbd': 64,
  'model.blockSize': 64,
  'train.batchSize': 8,
  'train.logInterval': 10, // the mean online loss (continual grids are tuned on it) averages these rows
  'train.evalInterval': 250,
  'train.evalIters': 40,
  'train.checkpointInterval': 250,
};

export const SUITES: Record<SuiteName, SuiteDef> = {
  // Few short runs for a 2-core CPU: grids of three around the usual small-model optimum.
  quick: {
    name: 'quick',
    description: 'short runs for a CPU: 3-point grids, four MetaOptimize variants, 3-point alpha0 sweep',
    defaultSteps: 150,
    adamwConstant: [1e-3, 3e-3, 1e-2],
    adamwCosine: [1e-3, 3e-3, 1e-2],
    lionConstant: [1e-4, 3e-4, 1e-3],
    variants: [MO_ADAMW_LION, MO_ADAMW_LION_LW, MO_ADAMW_ADAM, MO_LION_LION],
    alpha0Factor: 0.01,
    robustness: { variant: 'mo-adamw-lion', alpha0s: [1e-6, 1e-4, 1e-2] },
    switchFraction: null,
    tuningFree: TUNING_FREE,
    ablations: [],
    seeds: 1,
    realText: false,
    sets: {},
  },
  // The paper's grids (AdamW constant 1e-5 ... 1e-1, cosine peaks 1e-5, 1e-4, 1e-3 and one more
  // decade, since small models like larger lrs), all six variants, alpha0 over four decades.
  paper: {
    name: 'paper',
    description: "the paper's grids: AdamW 1e-5..1e-1, cosine peaks 1e-5..1e-2, Lion 1e-6..1e-2, six variants",
    defaultSteps: 5000,
    adamwConstant: [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
    adamwCosine: [1e-5, 1e-4, 1e-3, 1e-2],
    lionConstant: [1e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 1e-2],
    variants: [MO_ADAMW_LION, MO_ADAMW_LION_LW, MO_ADAMW_ADAM, MO_ADAMW_ADAM_LW, MO_LION_LION, MO_LION_LION_LW],
    alpha0Factor: 0.01,
    robustness: { variant: 'mo-adamw-lion', alpha0s: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2] },
    switchFraction: null,
    tuningFree: TUNING_FREE,
    ablations: [],
    seeds: 1,
    realText: false,
    sets: {},
  },
  continual: CONTINUAL,
  // Issue 16's evidence on real text, sized for a 2-core CPU with the wasm backend (LONG_RUN_SETS's model: about
  // 3 minutes a run on wasm with its SIMD kernels, two at once): bracketed 4-point grids searched on seed 1, every
  // method on 3 seeds, the four MetaOptimize variants issue 16 names, alpha0 over four decades.
  tinystories: {
    name: 'tinystories',
    description:
      'real TinyStories text (../shared): 4-point grids, four MetaOptimize variants, alpha0 1e-6..1e-2, 3 seeds',
    defaultSteps: 3000,
    adamwConstant: [1e-3, 3e-3, 1e-2, 3e-2],
    adamwCosine: [1e-3, 3e-3, 1e-2, 3e-2],
    lionConstant: [1e-4, 3e-4, 1e-3, 3e-3],
    variants: [MO_ADAMW_LION, MO_ADAMW_LION_LW, MO_ADAMW_ADAM, MO_LION_LION],
    alpha0Factor: 0.01,
    robustness: { variant: 'mo-adamw-lion', alpha0s: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2] },
    switchFraction: null,
    tuningFree: TUNING_FREE,
    ablations: TINYSTORIES_ABLATIONS,
    seeds: 3,
    realText: true,
    sets: LONG_RUN_SETS,
  },
  // The continual suite on the same real text, with runs as long as tinystories's: does the learned step size
  // rise again after each switch? Against the same three tuned grids (a cosine schedule cannot react to a switch;
  // the report shows what that costs), one seed, no tuning-free runs (CPU time): 15 runs.
  'tinystories-continual': {
    ...CONTINUAL,
    name: 'tinystories-continual',
    description: 'real TinyStories text, token permutation every quarter: the tinystories grids vs MetaOptimize',
    defaultSteps: 3000,
    adamwConstant: [1e-3, 3e-3, 1e-2, 3e-2],
    adamwCosine: [1e-3, 3e-3, 1e-2, 3e-2],
    lionConstant: [1e-4, 3e-4, 1e-3, 3e-3],
    variants: [MO_ADAMW_LION, MO_ADAMW_LION_LW, MO_LION_LION],
    tuningFree: [],
    realText: true,
    sets: LONG_RUN_SETS,
  },
};

/**
 * Baselines get the base-optimizer settings of the MetaOptimize presets (the paper's: AdamW beta2 .999,
 * weight decay .1; Lion weight decay .1), so that only the step size differs between them.
 */
const SAME_BASE = {
  adamw: { 'optimizer.base.beta1': 0.9, 'optimizer.base.beta2': 0.999, 'optimizer.base.weightDecay': 0.1 },
  lion: { 'optimizer.base.beta1': 0.9, 'optimizer.base.beta2': 0.99, 'optimizer.base.weightDecay': 0.1 },
};

/** One child training run: `train.ts --config C --optim <optim> --set <sets...> --out runs/<id>`. */
export interface RunSpec {
  /** Run folder name: `<key>` in single-seed suites, `<key>-s<seed>` otherwise. */
  id: string;
  /** The method and hyper-parameters without the seed: runs of one key differ only in train.seed. */
  key?: string;
  /** train.seed of the run (suites with --seeds > 1); absent = the config's seed. */
  seed?: number;
  group: RunGroup;
  /** Display name of the method (family), e.g. `AdamW constant`. */
  method: string;
  optim: string;
  /** `--set` overrides that define this run (applied after the user's own --set). */
  sets: Record<string, string | number>;
  /** The hyper-parameters a reader cares about, for tables. */
  hyper: {
    lr: number;
    schedule: 'constant' | 'cosine';
    warmupSteps?: number;
    metaLr?: number;
    blocks?: string;
    /** MetaOptimize's trace decay, where a run changes it (the presets' is 1). */
    gamma?: number;
    /** MetaOptimize with schedule 'cosine': the learned step sizes times the schedule's shape. */
    envelope?: 'cosine';
    /** Ablations: what the run changes, in words. */
    change?: string;
    /** Ablations: the id stem of the unchanged run (`<variant>-a<alpha0>`). */
    reference?: string;
  };
}

/** Compact lr label for ids and tables: 0.001 -> `1e-3`, 0.0003 -> `3e-4`. */
export function formatLr(lr: number): string {
  return lr
    .toExponential()
    .replace('e+', 'e')
    .replace(/\.?0+e/, 'e');
}

/** nanoGPT-style warmup: the paper used 1k steps on TinyStories; short runs warm up for 5% of the run. */
export function warmupFor(steps: number): number {
  return Math.min(1000, Math.max(1, Math.round(steps * 0.05)));
}

/**
 * Meta step size eta. The paper's 1e-3 lets beta move at most 1e-3 per step (Lion meta moves it by
 * exactly eta), i.e. a factor 100 in alpha takes ln(100)/1e-3 = 4600 steps. Short runs therefore use
 * the eta that could climb those two decades in half the run; runs of 9200+ steps use 1e-3.
 */
export function metaLrFor(steps: number): number {
  return Math.max(1e-3, Math.log(100) / (steps / 2));
}

/** The run of `spec` on training seed `seed` of `seeds` (a single-seed suite keeps the id and the config's seed). */
export function withSeed(spec: RunSpec, seed: number, seeds: number): RunSpec {
  if (seeds <= 1) return spec;
  return { ...spec, key: spec.id, id: `${spec.id}-s${seed}`, seed, sets: { ...spec.sets, 'train.seed': seed } };
}

/** The run's method key (its id less the seed). */
export function specKey(spec: RunSpec): string {
  return spec.key ?? spec.id;
}

/** Seed 1 and the runs of single-seed suites: the grid search and the choice of alpha0 read these. */
export function isTuningRun(spec: RunSpec): boolean {
  return spec.seed === undefined || spec.seed === 1;
}

const GROUP_ORDER: RunGroup[] = [
  'adamw-cosine',
  'adamw-constant',
  'lion-constant',
  'metaoptimize',
  'robustness',
  'tuning-free',
  'ablation',
];

/**
 * Queue tier: 0 the grids, the tuned baselines, MetaOptimize and the alpha0 sweep (the paper's claims), 1 the
 * tuning-free methods and the ablations (which explain the answer, so come after it).
 */
function runTier(spec: RunSpec): number {
  return spec.group === 'tuning-free' || spec.group === 'ablation' ? 1 : 0;
}

/**
 * Queue order: the paper's comparison seed by seed (each seed's baselines, MetaOptimize, the alpha0 sweep), then
 * the tuning-free methods and the ablations (seed 1 only) seed by seed: a suite stopped early answers every claim
 * on as many seeds as it got to, and has every tuning-free method and ablation once before any is repeated.
 */
export function runOrder(a: RunSpec, b: RunSpec): number {
  return (
    runTier(a) - runTier(b) ||
    (a.seed ?? 1) - (b.seed ?? 1) ||
    GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group)
  );
}

/**
 * Phase 1: the baseline grids (on seed 1 only when there are several seeds: tuning), and the robustness
 * sweep and tuning-free methods on every seed; none depends on another run.
 */
export function phaseOneRuns(suite: SuiteDef, steps: number, seeds = suite.seeds): RunSpec[] {
  const grid = gridRuns(suite, steps).map((r) => withSeed(r, 1, seeds));
  const rest = untunedRuns(suite, steps);
  const all = [...grid];
  for (let seed = 1; seed <= seeds; seed++) all.push(...rest.map((r) => withSeed(r, seed, seeds)));
  return all.sort(runOrder);
}

function gridRuns(suite: SuiteDef, steps: number): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const lr of suite.adamwConstant)
    runs.push({
      id: `adamw-lr${formatLr(lr)}`,
      group: 'adamw-constant',
      method: 'AdamW constant',
      optim: 'adamw',
      sets: { ...SAME_BASE.adamw, 'optimizer.lr': lr },
      hyper: { lr, schedule: 'constant' },
    });
  for (const lr of suite.lionConstant)
    runs.push({
      id: `lion-lr${formatLr(lr)}`,
      group: 'lion-constant',
      method: 'Lion constant',
      optim: 'lion',
      sets: { ...SAME_BASE.lion, 'optimizer.lr': lr },
      hyper: { lr, schedule: 'constant' },
    });
  const warmupSteps = warmupFor(steps);
  for (const lr of suite.adamwCosine)
    runs.push({
      id: `adamw-cosine-lr${formatLr(lr)}`,
      group: 'adamw-cosine',
      method: 'AdamW warmup + cosine',
      optim: 'adamw-cosine',
      sets: {
        ...SAME_BASE.adamw,
        'optimizer.lr': lr,
        'optimizer.schedule.type': 'cosine',
        'optimizer.schedule.warmupSteps': warmupSteps,
        'optimizer.schedule.minLr': roundSig(lr / 10),
      },
      hyper: { lr, schedule: 'cosine', warmupSteps },
    });
  return runs;
}

function untunedRuns(suite: SuiteDef, steps: number): RunSpec[] {
  const runs: RunSpec[] = [];
  const warmupSteps = warmupFor(steps);
  // Schedule-Free's warmup is its own key; it gets the cosine baselines' warmup (5% of a short run)
  for (const t of suite.tuningFree)
    runs.push({
      id: t.key,
      group: 'tuning-free',
      method: t.method,
      optim: t.key,
      sets: {
        'optimizer.lr': t.lr,
        ...(t.key === 'schedulefree-adamw' ? { 'optimizer.base.warmupSteps': warmupSteps } : {}),
      },
      hyper: { lr: t.lr, schedule: 'constant', ...(t.key === 'schedulefree-adamw' ? { warmupSteps } : {}) },
    });
  if (suite.robustness) {
    const variant = findVariant(suite, suite.robustness.variant);
    for (const alpha0 of suite.robustness.alpha0s)
      runs.push({
        ...metaRun(variant, alpha0, steps),
        id: `robust-${variant.key}-a${formatLr(alpha0)}`,
        group: 'robustness',
      });
  }
  return runs;
}

/** Best lr of each grid (from seed 1 of phase 1): the constant ones place the MetaOptimize alpha0. */
export interface BestConstant {
  adamw: number;
  lion: number;
  /** Best peak lr of the cosine grid; absent in suite.json files written before seeds existed. */
  adamwCosine?: number | null;
}

/**
 * Phase 2: every MetaOptimize variant at alpha0 = alpha0Factor x its base family's best constant lr, on
 * every seed; with several seeds, also each grid's best lr on seeds 2..N; the ablations on seed 1.
 */
export function phaseTwoRuns(suite: SuiteDef, steps: number, best: BestConstant, seeds = suite.seeds): RunSpec[] {
  const runs: RunSpec[] = [];
  const chosen = gridRuns(suite, steps).filter(
    (r) =>
      (r.group === 'adamw-constant' && r.hyper.lr === best.adamw) ||
      (r.group === 'lion-constant' && r.hyper.lr === best.lion) ||
      (r.group === 'adamw-cosine' && r.hyper.lr === best.adamwCosine),
  );
  const alpha0Of = (v: MetaVariant) => roundLr(best[v.base] * suite.alpha0Factor);
  const variants = suite.variants.map((v) => ({
    ...metaRun(v, alpha0Of(v), steps),
    id: `${v.key}-a${formatLr(alpha0Of(v))}`,
  }));
  for (let seed = 1; seed <= seeds; seed++) {
    if (seed > 1) runs.push(...chosen.map((r) => withSeed(r, seed, seeds)));
    runs.push(...variants.map((r) => withSeed(r, seed, seeds)));
  }
  for (const a of suite.ablations) {
    const v = findVariant(suite, a.variant);
    runs.push(withSeed(ablationRun(v, a, alpha0Of(v), steps), 1, seeds));
  }
  return runs.sort(runOrder);
}

/** One ablation: the variant's phase-2 run with the ablation's change, `why-<variant>-<key>`. */
function ablationRun(v: MetaVariant, a: Ablation, alpha0: number, steps: number): RunSpec {
  const base = metaRun(v, alpha0, steps);
  const metaLr = roundSig(metaLrFor(steps) * (a.metaLrFactor ?? 1));
  const sets: Record<string, string | number> = { ...base.sets, 'optimizer.metaOptimize.meta.lr': metaLr };
  if (a.gamma !== undefined) sets['optimizer.metaOptimize.gamma'] = a.gamma;
  if (a.cosineEnvelope)
    Object.assign(sets, {
      'optimizer.schedule.type': 'cosine',
      'optimizer.schedule.warmupSteps': 0,
      'optimizer.schedule.minLr': roundSig(alpha0 / 10),
    });
  return {
    id: `why-${v.key}-${a.key}`,
    group: 'ablation',
    method: `${v.method}, ${a.key}`,
    optim: v.optim,
    sets,
    hyper: {
      ...base.hyper,
      metaLr,
      ...(a.gamma !== undefined ? { gamma: a.gamma } : {}),
      ...(a.cosineEnvelope ? { envelope: 'cosine' as const } : {}),
      change: a.change,
      reference: `${v.key}-a${formatLr(alpha0)}`,
    },
  };
}

/** Number of runs phase 2 adds (before the grids have chosen their lrs). */
export function phaseTwoCount(suite: SuiteDef, seeds = suite.seeds): number {
  const grids = [suite.adamwConstant, suite.lionConstant, suite.adamwCosine].filter((g) => g.length).length;
  return suite.variants.length * seeds + (seeds > 1 ? grids * (seeds - 1) : 0) + suite.ablations.length;
}

/** Number of runs the suite will make (phase 2 included), for the progress display. */
export function plannedRunCount(suite: SuiteDef, seeds = suite.seeds): number {
  return phaseOneRuns(suite, suite.defaultSteps, seeds).length + phaseTwoCount(suite, seeds);
}

/** Fallback when a family has no grid (or all its runs failed): the centre of its grid, or a usual value. */
export function gridCentre(grid: number[], fallback: number): number {
  return grid.length ? grid[Math.floor(grid.length / 2)] : fallback;
}

/**
 * Suite-wide settings every run gets before the user's --set: steps, the data (real-text suites) and its
 * schedule, the suite's own sets, and with several seeds one eval seed, so every seed is scored on the same
 * batches.
 */
export function suiteSets(suite: SuiteDef, steps: number, seeds = suite.seeds): Record<string, string | number> {
  const sets: Record<string, string | number> = { 'train.maxSteps': steps };
  if (suite.realText) {
    const dir = tinyStoriesDir();
    sets['data.source'] = `text:${join(dir, TINYSTORIES_TEXT.train)}`;
    sets['data.valSource'] = `text:${join(dir, TINYSTORIES_TEXT.valid)}`;
  }
  if (suite.switchFraction !== null) sets['data.switchEvery'] = Math.max(1, Math.round(steps * suite.switchFraction));
  Object.assign(sets, suite.sets);
  if (seeds > 1) sets['train.evalSeed'] = 1337;
  return sets;
}

function metaRun(v: MetaVariant, alpha0: number, steps: number): RunSpec {
  const metaLr = metaLrFor(steps);
  return {
    id: v.key,
    group: 'metaoptimize',
    method: v.method,
    optim: v.optim,
    sets: {
      'optimizer.lr': alpha0,
      'optimizer.metaOptimize.meta.lr': roundSig(metaLr),
      'optimizer.metaOptimize.blocks': v.blocks,
    },
    hyper: { lr: alpha0, schedule: 'constant', metaLr: roundSig(metaLr), blocks: v.blocks },
  };
}

function findVariant(suite: SuiteDef, key: string): MetaVariant {
  const all = [
    MO_ADAMW_LION,
    MO_ADAMW_LION_LW,
    MO_ADAMW_ADAM,
    MO_ADAMW_ADAM_LW,
    MO_LION_LION,
    MO_LION_LION_LW,
    ...suite.variants,
  ];
  const v = all.find((x) => x.key === key);
  if (!v)
    throw new ConfigError(
      `unknown MetaOptimize variant ${key} in suite ${suite.name}`,
      'use one of the variant keys defined in src/compare/grid.ts',
    );
  return v;
}

/** Rounds to 1 significant digit on the 1-3-10 ladder's neighbours (0.01 x 3e-3 = 3e-5, not 2.9999e-5). */
function roundLr(x: number): number {
  return Number(x.toPrecision(2));
}

function roundSig(x: number): number {
  return Number(x.toPrecision(3));
}
