// Non-stationary data for continual-learning runs (MetaOptimize paper, section 6): every data.switchEvery
// steps the training distribution switches abruptly, without telling the optimizer. Mode `permute`: in
// odd phases every token id of inputs and targets goes through one fixed permutation seeded by data.seed.
import type { DataConfig } from '../config/schema.js';
import { Rng } from '../util/rng.js';

/** Mixed into data.seed so the permutation does not share a stream with the train/val split. */
const PERMUTATION_SALT = 0x9e3779b1;

/**
 * Applies the data schedule to one batch, in place. `step` is the number of optimizer steps completed
 * before this batch (0 for the first), so steps [0, K) are phase 0 (unchanged), [K, 2K) phase 1
 * (permuted), [2K, 3K) phase 0 again, and so on. Call it on every training micro-batch and on the
 * evaluation batches of the same step, so val loss measures the current distribution. The result
 * depends only on (batch, step, cfg, vocabSize): a resumed run sees exactly the same data.
 * `vocabSize` is the tokenizer's (unpadded) vocabulary; ids at or above it are left unchanged.
 */
export function applyDataSchedule(batch: { x: Int32Array; y: Int32Array }, step: number, cfg: DataConfig, vocabSize: number): void {
  if (cfg.switchEvery === null || dataPhase(step, cfg.switchEvery) % 2 === 0) return;
  const perm = tokenPermutation(cfg.seed, vocabSize);
  permuteInPlace(batch.x, perm);
  permuteInPlace(batch.y, perm);
}

/** Phase index of a step: floor(step / switchEvery). */
export function dataPhase(step: number, switchEvery: number): number {
  return Math.floor(step / switchEvery);
}

/** Steps at which the distribution switches within a run of maxSteps: K, 2K, ... (< maxSteps). */
export function switchSteps(maxSteps: number, switchEvery: number | null): number[] {
  const out: number[] = [];
  if (switchEvery === null) return out;
  for (let s = switchEvery; s < maxSteps; s += switchEvery) out.push(s);
  return out;
}

const cache = new Map<string, Int32Array>();

/** The fixed permutation of [0, vocabSize) for a seed (Fisher-Yates on the project's Rng; memoised). */
export function tokenPermutation(seed: number, vocabSize: number): Int32Array {
  const key = `${seed}:${vocabSize}`;
  let perm = cache.get(key);
  if (!perm) {
    perm = new Int32Array(vocabSize);
    for (let i = 0; i < vocabSize; i++) perm[i] = i;
    const rng = new Rng((seed ^ PERMUTATION_SALT) >>> 0);
    for (let i = vocabSize - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    cache.set(key, perm);
  }
  return perm;
}

function permuteInPlace(ids: Int32Array, perm: Int32Array): void {
  const n = perm.length;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id >= 0 && id < n) ids[i] = perm[id];
  }
}
