// GEMM autotuning, as cudnn.benchmark does for convolutions: planGemm's model (program.ts) is shaped on an
// H100/H200; tuning times the plans and inner loops of every product a run makes, on the GPU it runs on, and
// keeps the fastest. A run records its products' shapes during one step (startGemmRecording), then
// tuneGemms times each product's candidates on random inputs of its shape and runGemm uses the winners.
// Choices are cached per device in a JSON file, so the next run on the same GPU starts tuned. (This is why
// the GEMM's variants live in src/ rather than only a benchmark's winner, as STYLE.md has it: the winner
// differs per GPU and per product shape.)
//
// Tuning changes which kernel sums a product, so float results differ in the last bits from an untuned run;
// a run's choices go into its checkpoint, and a resumed run takes them back before its first step
// (adoptTunedGemms), so it runs the kernels the uninterrupted run would have run.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { estimateGemmUs, GEMM_TILES, GEMM_VARIANTS, gemmPlans, planGemm, wideEligible, type GemmAddend, type GemmGelu, type GemmPlan, type GemmShape, type GemmVariant } from './program.js';

/** What a product runs with: a plan (tile, K split) and an inner loop. */
export interface GemmChoice extends GemmPlan {
  variant: GemmVariant;
}

/** One product as runGemm receives it (shape without a split). */
export interface GemmCall {
  shape: GemmShape;
  transA: boolean;
  transB: boolean;
  addend: GemmAddend;
  gelu: GemmGelu;
}

/** Bump when the GEMM's code changes what a cached choice means. */
const CACHE_VERSION = 1;
/** Plans timed per product, and how many of them (the first) with every inner loop. */
const TOP_PLANS = 7;
const VARIANT_PLANS = 3;
const TUNED_VARIANTS: readonly GemmVariant[] = ['vec4', 'prefetch', 'deep', 'wide', 'double', 'unrolled'];
/** A candidate replaces planGemm's own choice only when at least this much faster (timing noise). */
const MARGIN = 0.03;

const recorded = new Map<string, GemmCall>();
const chosen = new Map<string, GemmChoice>();
let recording = false;

/** The product's identity for recording and for the cache: transposes, shape, shared operands, epilogue, GELU. */
export function gemmKey(c: GemmCall): string {
  const s = c.shape;
  return `${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'} ${s.batch}x${s.M}x${s.N}x${s.K} ${s.strideA ? 'a' : 'A'}${s.strideB ? 'b' : 'B'} ${c.addend} ${c.gelu}`;
}

/** From now on, runGemm notes every distinct product (until tuneGemms or stopGemmRecording). */
export function startGemmRecording(): void {
  recording = true;
}

export function stopGemmRecording(): void {
  recording = false;
}

/**
 * Takes the cached choices of `device` now, before the first step runs: a run resumed from a checkpoint then
 * runs the same kernels from its first step as the uninterrupted run did. Returns how many it took.
 */
export function loadTunedGemms(device: string, cacheFile: string | null = defaultTuneCacheFile()): number {
  const known = cacheFile ? readCache(cacheFile).devices[device] ?? {} : {};
  let taken = 0;
  for (const [key, choice] of Object.entries(known)) if (!chosen.has(key)) { chosen.set(key, choice); taken++; }
  return taken;
}

/** runGemm: note this product while recording. */
export function recordGemm(call: GemmCall): void {
  if (recording) recorded.set(gemmKey(call), call);
}

/** runGemm: the tuned choice for this product, if tuning chose one. */
export function tunedGemm(call: GemmCall): GemmChoice | undefined {
  return chosen.size ? chosen.get(gemmKey(call)) : undefined;
}

/** Tests: forget every recording and choice. */
export function resetGemmTuning(): void {
  recorded.clear();
  chosen.clear();
  recording = false;
}

/**
 * The candidates of one product: planGemm's plan first, then each tile at its best K split, the best plan
 * without a split and the best with one (by estimateGemmUs; at most `topPlans` plans). The first VARIANT_PLANS
 * plans are tried with every tuned inner loop, the rest with vec4 only (22 candidates at most by default).
 */
export function tuneCandidates(call: GemmCall, topPlans = TOP_PLANS): GemmChoice[] {
  const shape = call.shape;
  const ranked = gemmPlans(shape).map((p) => ({ p, us: estimateGemmUs(shape, p) })).sort((a, b) => a.us - b.us).map(({ p }) => p);
  const picks = [planGemm(shape), ...GEMM_TILES.map((t) => ranked.find((p) => p.tile === t)), ranked.find((p) => p.splitK === 1),
    ranked.find((p) => p.splitK > 1)];
  const plans: GemmPlan[] = [];
  for (const p of picks) if (p && !plans.some((q) => q.tile === p.tile && q.splitK === p.splitK)) plans.push(p);
  return plans.slice(0, topPlans).flatMap((p, i) => (i < VARIANT_PLANS ? TUNED_VARIANTS : (['vec4'] as const)).map((variant) => ({ ...p, variant })));
}

/** Times one candidate: ms per product (runs `product` and returns its output; the measure disposes it). */
export type GemmMeasure = (product: () => tf.TensorInfo, call: GemmCall, choice: GemmChoice) => Promise<number>;

/** Wall time per product over `reps` products queued back to back with one read-back, after one untimed product (compilation). */
export function wallClockMeasure(reps = 5): GemmMeasure {
  const backend = () => tf.backend();
  return async (product) => {
    const once = async (n: number) => {
      const t0 = performance.now();
      for (let r = 0; r < n - 1; r++) { const out = product(); backend().disposeData(out.dataId); }
      const last = product();
      await backend().read(last.dataId);
      backend().disposeData(last.dataId);
      return (performance.now() - t0) / n;
    };
    await once(1);
    return once(reps);
  };
}

export interface TuneOptions {
  /** The product runner: runGemm with a forced choice (injected so this module does not import webgpu.ts). */
  run: (inputs: tf.TensorInfo[], call: GemmCall, choice: GemmChoice) => tf.TensorInfo;
  /** Candidates the device can run (workgroup memory); default all. */
  admissible?: (choice: GemmChoice) => boolean;
  /**
   * Catches what the device reports about work issued inside it (WebGPU error scopes): a shader it rejected
   * runs nothing, and the output buffer, recycled, may still hold a previous candidate's correct result.
   * `open` before a candidate runs, `close` after its output was read: the error message, or null.
   */
  errorScope?: { open(): void; close(): Promise<string | null> };
  /** Device description: the cache's key (BackendInfo.device). */
  device: string;
  /** Cache file; null: no cache. Default $NANOMETA_CACHE_DIR or ~/.cache/nanometa, file gemm-tune.json. */
  cacheFile?: string | null;
  /** Timing (default wallClockMeasure()); tests inject their own. */
  measure?: GemmMeasure;
  topPlans?: number;
  log?: (line: string) => void;
}

export interface TuneReport {
  /** Products recorded; tuned now; chosen already (a checkpoint's choices, the cache file). */
  products: number;
  tuned: number;
  cached: number;
  /** Products whose choice differs from planGemm's (vec4 inner loop). */
  changed: number;
  /** Wall time of the tuning, ms. */
  ms: number;
}

export function defaultTuneCacheFile(): string {
  const dir = process.env.NANOMETA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'nanometa');
  return join(dir, 'gemm-tune.json');
}

type CacheFile = { version: number; devices: Record<string, Record<string, GemmChoice>> };

/** A choice read from a file (cache, checkpoint) that this code can run; anything else is dropped. */
function validChoice(x: unknown): x is GemmChoice {
  const c = x as Partial<GemmChoice> | null;
  return !!c && (GEMM_TILES as readonly string[]).includes(c.tile as string) && (GEMM_VARIANTS as readonly string[]).includes(c.variant as string)
    && Number.isInteger(c.splitK) && c.splitK! >= 1 && c.splitK! <= 64;
}

/** The valid entries of a record of choices. */
function validChoices(record: unknown): Record<string, GemmChoice> {
  const out: Record<string, GemmChoice> = {};
  if (record && typeof record === 'object') {
    for (const [key, c] of Object.entries(record)) if (validChoice(c)) out[key] = { tile: c.tile, splitK: c.splitK, variant: c.variant };
  }
  return out;
}

function readCache(file: string): CacheFile {
  const empty = { version: CACHE_VERSION, devices: {} };
  if (!existsSync(file)) return empty;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (parsed.version !== CACHE_VERSION || !parsed.devices || typeof parsed.devices !== 'object') return empty;
    return { version: CACHE_VERSION, devices: Object.fromEntries(Object.entries(parsed.devices).map(([d, r]) => [d, validChoices(r)])) };
  } catch {
    return empty; // unreadable: tuned again and rewritten
  }
}

/** Adds `fresh` choices to the device's entry of the cache file as it is now (another run may have written it since). */
function writeCache(file: string, device: string, fresh: Record<string, GemmChoice>): void {
  const cache = readCache(file);
  cache.devices[device] = { ...cache.devices[device], ...fresh };
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(cache, null, 1)}\n`);
}

/** This run's choices (for its checkpoint). */
export function exportTunedGemms(): Record<string, GemmChoice> {
  return Object.fromEntries(chosen);
}

/** Takes the choices a checkpoint recorded (valid entries only; they override any other). Returns how many. */
export function adoptTunedGemms(record: unknown): number {
  const valid = validChoices(record);
  for (const [key, c] of Object.entries(valid)) chosen.set(key, c);
  return Object.keys(valid).length;
}

/** Random inputs of a product's operands and addends (A, B, then C0, C1 as GemmProgram binds them). */
function inputsFor(call: GemmCall): tf.Tensor[] {
  const { batch, M, N, K, strideA, strideB } = call.shape;
  const a = tf.randomUniform([(strideA ? batch : 1) * M * K], -1, 1, 'float32', 1);
  const b = tf.randomUniform([(strideB ? batch : 1) * K * N], -1, 1, 'float32', 2);
  const full = () => tf.randomUniform([batch * M * N], -1, 1, 'float32', 3);
  const row = () => tf.randomUniform([N], -1, 1, 'float32', 4);
  const addends = call.addend === 'none' ? [] : call.addend === 'row' ? [row()] : call.addend === 'both' ? [full(), row()] : [full()];
  return [a, b, ...addends];
}

/** A product's output as a tensor (disposing it frees the buffer). */
const asTensor = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);

/** Reads one number computed on the device, freeing what computed it. */
async function readScalar(fn: () => tf.Tensor): Promise<number> {
  const t = tf.tidy(fn);
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

/**
 * Times one product's runnable candidates on random inputs and returns the fastest, or the plan (the first)
 * when none is ≥ MARGIN faster. A candidate whose output differs from the plan's (a shader the device
 * rejected runs nothing) or that throws is skipped and logged.
 */
async function tuneOne(key: string, call: GemmCall, opts: TuneOptions, log: (line: string) => void): Promise<GemmChoice> {
  const measure = opts.measure ?? wallClockMeasure();
  const runnable = (c: GemmChoice) => (c.variant !== 'wide' || wideEligible(call.shape, call.transA, call.transB)) && (opts.admissible?.(c) ?? true);
  const candidates = tuneCandidates(call, opts.topPlans).filter(runnable);
  const plan = { ...planGemm(call.shape), variant: 'vec4' as const };
  const inputs = inputsFor(call);
  const times: Array<{ choice: GemmChoice; ms: number }> = [];
  let ref: tf.Tensor | null = null;
  try {
    try {
      ref = asTensor(opts.run(inputs, call, plan));
    } catch (e) {
      log(`gemm tune ${key}: the plan ${describe(plan)} failed (${(e as Error).message}); not tuned`);
      return plan;
    }
    // Another summation order differs by ~1e-5 of the largest output (K = 50304: ≤ 2.5e-3 of 290); a lost k-term by ≥ ~1e-2.
    const tol = 1e-4 * (1 + (await readScalar(() => tf.max(tf.abs(ref!)))));
    for (const choice of candidates) {
      try {
        opts.errorScope?.open();
        let err: number, rejected: string | null = null;
        try {
          const out = asTensor(opts.run(inputs, call, choice));
          err = await readScalar(() => tf.max(tf.abs(tf.sub(out, ref!)))).finally(() => out.dispose());
        } finally {
          rejected = (await opts.errorScope?.close()) ?? null;
        }
        if (rejected) { log(`gemm tune ${key}: ${describe(choice)} rejected by the device (${rejected}); skipped`); continue; }
        if (!(err <= tol)) { log(`gemm tune ${key}: ${describe(choice)} disagrees with the plan (max |diff| ${err}); skipped`); continue; }
        times.push({ choice, ms: await measure(() => opts.run(inputs, call, choice), call, choice) });
      } catch (e) {
        log(`gemm tune ${key}: ${describe(choice)} failed (${(e as Error).message}); skipped`);
      }
    }
  } finally {
    ref?.dispose();
    tf.dispose(inputs);
  }
  const first = times.find((t) => same(t.choice, plan)) ?? times[0];
  if (!first) return plan;
  const best = times.reduce((x, y) => (y.ms < x.ms ? y : x));
  const pick = best.ms < first.ms * (1 - MARGIN) ? best : first;
  log(`gemm tune ${key}: ${describe(pick.choice)} ${pick.ms.toFixed(3)} ms (plan ${describe(first.choice)} ${first.ms.toFixed(3)} ms)`);
  return pick.choice;
}

const same = (a: GemmChoice, b: GemmChoice) => a.tile === b.tile && a.splitK === b.splitK && a.variant === b.variant;

/**
 * Chooses a kernel for every product recorded since startGemmRecording: kept if this run already has a choice
 * (a checkpoint's), else the cache file's, else timed (tuneOne). Recording stops; new choices are merged into
 * the cache file. Nothing recorded (the cpu backend, or no step ran): returns at once.
 */
export async function tuneGemms(opts: TuneOptions): Promise<TuneReport> {
  const t0 = performance.now();
  recording = false;
  const log = opts.log ?? (() => {});
  const cacheFile = opts.cacheFile === undefined ? defaultTuneCacheFile() : opts.cacheFile;
  const known = cacheFile ? readCache(cacheFile).devices[opts.device] ?? {} : {};
  const fresh: Record<string, GemmChoice> = {};
  const report: TuneReport = { products: recorded.size, tuned: 0, cached: 0, changed: 0, ms: 0 };
  try {
    for (const [key, call] of recorded) {
      let pick = chosen.get(key) ?? known[key];
      if (pick) report.cached++;
      else {
        pick = fresh[key] = await tuneOne(key, call, opts, log);
        report.tuned++;
      }
      const plan = planGemm(call.shape);
      if (pick.tile !== plan.tile || pick.splitK !== plan.splitK || pick.variant !== 'vec4') report.changed++;
      chosen.set(key, pick);
    }
  } finally {
    recorded.clear();
    if (cacheFile && Object.keys(fresh).length) writeCache(cacheFile, opts.device, fresh);
  }
  report.ms = Math.round(performance.now() - t0);
  return report;
}

function describe(c: GemmChoice): string {
  return `${c.tile}${c.splitK > 1 ? ` split ${c.splitK}` : ''} ${c.variant}`;
}
