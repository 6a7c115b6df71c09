// Learning rate per step: constant, or nanoGPT's get_lr (train.py) — linear warmup, cosine decay to minLr
// at decaySteps, then minLr. With MetaOptimize, optimizer.lr is alpha0 and a schedule's shape lr(t) / lr
// multiplies the learned step sizes (metaoptimize.ts, `envelope`).
import type { OptimizerConfig } from '../config/schema.js';

/**
 * Learning rate of iteration `step` (0-based, nanoGPT's `iter_num`: the lr used for the update that step
 * makes). Cosine, with W = warmupSteps, D = decaySteps ?? maxSteps, as nanoGPT:
 *   step < W:       lr · (step + 1) / (W + 1)
 *   step > D:       minLr
 *   otherwise:      minLr + ½(1 + cos(π·(step − W)/(D − W)))·(lr − minLr)
 * (D <= W: after warmup, minLr.) Constant: lr.
 */
export function getLr(step: number, cfg: OptimizerConfig, maxSteps: number): number {
  const { lr, schedule } = cfg;
  if (schedule.type === 'constant') return lr;
  const warmup = schedule.warmupSteps;
  const decay = schedule.decaySteps ?? maxSteps;
  const minLr = schedule.minLr;
  if (step < warmup) return (lr * (step + 1)) / (warmup + 1);
  if (step > decay || decay <= warmup) return minLr;
  const ratio = (step - warmup) / (decay - warmup);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio));
  return minLr + coeff * (lr - minLr);
}
