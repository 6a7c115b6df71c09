// --resume: a run continues from its checkpoint exactly (parameters, optimizer state, batch RNG, counters).
// What may change between a checkpoint and a resumed run: schedule lengths, intervals, logging. What may
// not: the architecture, the tokenizer, the data, the optimizer kind; each difference is listed by key.
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/schema.js';
import type { TokenizerInfo } from '../data/types.js';
import { assignParams, loadCheckpoint, optimizerStateFrom, type CheckpointState } from '../checkpoint/checkpoint.js';
import type { RunCounters } from '../checkpoint/run-state.js';
import { savedTrainingPoint } from '../checkpoint/eval-point.js';
import type { Optimizer, ParamMap } from '../optim/types.js';
import { CheckpointError } from '../util/errors.js';

/**
 * Loads the checkpoint in `dir` into the model's parameters and the optimizer (after checkResumable) and returns
 * the run's counters as they were saved.
 */
export function resumeFrom(
  dir: string,
  cfg: Config,
  tokenizer: TokenizerInfo,
  params: ParamMap,
  optimizer: Optimizer,
): RunCounters {
  const ck = loadCheckpoint(dir);
  checkResumable(ck.state, cfg, tokenizer, dir);
  assignParams(params, ck.params, dir);
  // an optimizer with its own evaluation point saved that in model.safetensors and the training point beside its state
  const trainingPoint = savedTrainingPoint(params, ck.optimizerTensors, dir);
  if (trainingPoint) assignParams(params, trainingPoint, dir);
  const saved = optimizerStateFrom(ck);
  optimizer.setState(saved); // the optimizer's variables take the values; the loaded tensors are ours to free
  tf.dispose([...saved.tensors.values()]);
  const { step, tokensSeen, elapsedSec, bestValLoss, dataRng } = ck.state;
  return { step, tokensSeen, elapsedSec, bestValLoss, dataRng };
}

const FIXED_SECTIONS = ['model', 'data'] as const;
/** Keys inside the fixed sections that may still change: where files live, how the head is chunked. */
const FREE_KEYS = new Set(['data.cacheDir', 'data.hubUrl', 'model.lossChunkBytes']);

export function checkResumable(state: CheckpointState, cfg: Config, tokenizer: TokenizerInfo, dir: string): void {
  const diffs: string[] = [];
  for (const section of FIXED_SECTIONS) diffKeys(state.config[section], cfg[section], section, diffs);
  diffKeys(state.config.optimizer.base.type, cfg.optimizer.base.type, 'optimizer.base.type', diffs);
  diffKeys(
    state.config.optimizer.metaOptimize === null,
    cfg.optimizer.metaOptimize === null,
    'optimizer.metaOptimize (on/off)',
    diffs,
  );
  diffKeys(state.config.train.batchSize, cfg.train.batchSize, 'train.batchSize', diffs);
  diffKeys(state.config.train.seed, cfg.train.seed, 'train.seed', diffs);
  if (state.tokenizer.identity !== tokenizer.identity)
    diffs.push(`tokenizer identity: checkpoint ${state.tokenizer.identity} vs data ${tokenizer.identity}`);
  if (diffs.length)
    throw new CheckpointError(
      `cannot resume from ${dir}; the config differs from the checkpoint's:\n  ${diffs.join('\n  ')}`,
      "resume with the run's own config (--config RUN/config.json); only train.maxSteps, intervals and logging may change",
    );
}

function diffKeys(a: unknown, b: unknown, path: string, out: string[]): void {
  if (FREE_KEYS.has(path)) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys)
      diffKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${path}: checkpoint ${JSON.stringify(a)} vs now ${JSON.stringify(b)}`);
  }
}
