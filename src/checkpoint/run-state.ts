// A training run's checkpoint: the run's counters and the optimizer's scalars assembled into state.json's
// CheckpointState, saved with the parameters and optimizer tensors (checkpoint.ts), and read back for --resume.
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/schema.js';
import type { TokenizerInfo } from '../data/types.js';
import type { Optimizer, ParamMap } from '../optim/types.js';
import type { RngState } from '../util/rng.js';
import { saveCheckpoint, TOOLKIT_VERSION, CHECKPOINT_FORMAT, type CheckpointState } from './checkpoint.js';
import { checkpointPoints } from './eval-point.js';

/** The run's counters at a checkpoint. */
export interface RunCounters {
  step: number;
  tokensSeen: number;
  elapsedSec: number;
  bestValLoss: number | null;
  dataRng: RngState;
}

/** What stays the same for a whole run. */
export interface RunIdentity {
  vocabSize: number;
  paramCount: number;
  config: Config;
  tokenizer: TokenizerInfo;
}

/** state.json for the run now (the optimizer's tensors are not part of it). */
export function runCheckpointState(run: RunIdentity, counters: RunCounters, optimizer: Optimizer): CheckpointState {
  const opt = optimizer.getState();
  tf.dispose([...opt.tensors.values()]);
  return {
    format: CHECKPOINT_FORMAT,
    toolkitVersion: TOOLKIT_VERSION,
    ...counters,
    vocabSize: run.vocabSize,
    paramCount: run.paramCount,
    config: run.config,
    tokenizer: run.tokenizer,
    optimizer: { name: optimizer.name, blockNames: optimizer.blockNames, scalars: opt.scalars },
  };
}

/**
 * Saves the run's parameters, optimizer state and state.json into `dir`, after the device's optimizer state came
 * back. model.safetensors holds the optimizer's evaluation point where it has one (eval-point.ts).
 */
export async function saveRunCheckpoint(
  dir: string,
  params: ParamMap,
  optimizer: Optimizer,
  run: RunIdentity,
  counters: RunCounters,
): Promise<void> {
  await optimizer.sync?.(); // state the device still holds (MetaOptimize on WebGPU) comes back first
  const opt = optimizer.getState();
  const points = checkpointPoints(params, optimizer);
  for (const [key, t] of points.training) opt.tensors.set(key, t);
  try {
    await saveCheckpoint(dir, points.model, opt, runCheckpointState(run, counters, optimizer));
  } finally {
    tf.dispose([...opt.tensors.values(), ...points.owned]);
  }
}
