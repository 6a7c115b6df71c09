// Picking the next token from logits: temperature, top-k, top-p (nucleus), seeded. Pure functions over
// Float64 probabilities, following Hugging Face's logits warpers (top-k, then top-p on the kept tokens).
import { Rng } from '../util/rng.js';

export interface SamplingOptions {
  temperature: number;
  topK: number;
  topP: number;
}

/** Probabilities after temperature, top-k and top-p; tokens ≥ `vocab` (padding rows) get zero. */
export function samplingDistribution(logits: ArrayLike<number>, vocab: number, opts: SamplingOptions): Float64Array {
  const n = Math.min(vocab, logits.length);
  const probs = new Float64Array(logits.length);
  if (opts.temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    probs[best] = 1;
    return probs;
  }
  let order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  if (opts.topK > 0) order = order.slice(0, opts.topK);
  const max = logits[order[0]];
  let total = 0;
  for (const i of order) total += probs[i] = Math.exp((logits[i] - max) / opts.temperature);
  for (const i of order) probs[i] /= total;
  if (opts.topP < 1) {
    let mass = 0,
      keep = 0;
    while (keep < order.length && mass < opts.topP) mass += probs[order[keep++]]; // smallest set with mass >= topP
    for (const i of order.slice(keep)) probs[i] = 0;
    for (const i of order.slice(0, keep)) probs[i] /= mass;
  }
  return probs;
}

/** Draws an index from a distribution with one uniform number of `rng`. */
export function drawToken(probs: Float64Array, rng: Rng): number {
  const u = rng.next();
  let acc = 0,
    last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    acc += probs[i];
    last = i;
    if (u < acc) return i;
  }
  return last;
}
