// Checkpoint folders: model.safetensors (GPT-2 parameter names), optimizer.safetensors (`<param>/m` ...)
// and state.json (step, tokens, data RNG, config, tokenizer, optimizer scalars). Written to a temporary
// folder and renamed (util/atomic-write.ts). Lives outside train/ because sample/ loads checkpoints too.
import { existsSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/schema.js';
import type { TokenizerInfo } from '../data/types.js';
import type { ParamMap } from '../model/params.js';
import type { OptimizerState } from '../optim/types.js';
import type { RngState } from '../util/rng.js';
import { CheckpointError } from '../util/errors.js';
import { writeDirAtomic } from '../util/atomic-write.js';
import { formatBytes } from '../util/format.js';
import { encodeSafetensors, parseSafetensors, readFileBytes, type NamedArray } from './safetensors.js';
import { checkDigest, checkFinite, digest, parseCheckpointState, type FileDigest } from './verify.js';
import { checkpointStep, describeKeptCheckpoint } from './recover.js';

export const CHECKPOINT_FORMAT = 1;
export const TOOLKIT_VERSION = '0.1.0';

export interface CheckpointState {
  format: number;
  toolkitVersion: string;
  step: number;
  tokensSeen: number;
  elapsedSec: number;
  bestValLoss: number | null;
  /** RNG state of the training batch sampler after `step` steps. */
  dataRng: RngState;
  vocabSize: number;
  paramCount: number;
  config: Config;
  tokenizer: TokenizerInfo;
  optimizer: { name: string; blockNames: string[]; scalars: Record<string, unknown> };
  /** Size and sha256 of model.safetensors and optimizer.safetensors, checked on load (checkpoint/verify.ts). */
  files?: Record<string, FileDigest>;
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  params: Map<string, NamedArray>;
  optimizerTensors: Map<string, NamedArray>;
}

async function toArrays(tensors: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, NamedArray>> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of tensors) {
    const data = await t.data();
    out.set(name, {
      shape: t.shape,
      data: data instanceof Int32Array ? data : Float32Array.from(data as Float32Array),
    });
  }
  return out;
}

/**
 * Saves params (model.safetensors: the model's parameters, or an optimizer's evaluation point), optimizer state
 * and run state atomically into `dir` (replacing any older checkpoint).
 */
export async function saveCheckpoint(
  dir: string,
  params: ReadonlyMap<string, tf.Tensor>,
  optimizer: OptimizerState,
  state: CheckpointState,
): Promise<void> {
  const model = await toArrays(params);
  for (const [name, a] of model) {
    if (!a.data.every(Number.isFinite))
      throw new CheckpointError(
        `refusing to save a checkpoint at step ${state.step}: parameter ${name} holds NaN or Infinity ` +
          `(the previous checkpoint in ${dir} is kept)`,
        'lower optimizer.lr (or alpha0), or enable optimizer.gradClip',
      );
  }
  const opt = await toArrays(optimizer.tensors);
  const files = {
    'model.safetensors': encodeSafetensors(model, { format: 'pt', step: String(state.step) }),
    'optimizer.safetensors': encodeSafetensors(opt, { optimizer: state.optimizer.name }),
  };
  const stateJson = JSON.stringify(
    { ...state, files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, digest(bytes)])) },
    null,
    1,
  );
  try {
    writeDirAtomic(dir, (tmp) => {
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(tmp, name), bytes);
      writeFileSync(join(tmp, 'state.json'), stateJson);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFull(dir, state.step, files, Buffer.byteLength(stateJson));
    throw err;
  }
}

/** ENOSPC while saving: how much the checkpoint needs, how much is free there, and what survives. */
function diskFull(dir: string, step: number, files: Record<string, Uint8Array>, stateBytes: number): CheckpointError {
  const needed = Object.values(files).reduce((n, b) => n + b.length, stateBytes);
  let free: number | null = null;
  try {
    const fs = statfsSync(dirname(dir));
    free = fs.bavail * fs.bsize;
  } catch {
    // the free space is only informative
  }
  const kept = checkpointStep(dir) !== null;
  return new CheckpointError(
    `no space left on the disk holding ${dirname(dir)}: the checkpoint of step ${step} needs ` +
      `${formatBytes(needed)} (${Object.entries(files)
        .map(([n, b]) => `${n} ${formatBytes(b.length)}`)
        .join(', ')}, state.json ${formatBytes(stateBytes)})` +
      `${free === null ? '' : ` and ${formatBytes(free)} is free`}; it was not written, and ${describeKeptCheckpoint(dir)}`,
    `free at least ${formatBytes(free !== null && free < needed ? needed - free : needed)} there (df -h ${dirname(dir)}), or train into a folder on another disk with --out` +
      (kept ? `; then continue with --resume (copy the run folder there first if you change --out)` : ''),
  );
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'state.json'));
}

/**
 * Reads and checks a checkpoint (checkpoint/verify.ts): state.json against its schema, each file against the
 * checksum recorded in it, the safetensors layout, finite weights. `optimizer: false` (sampling) skips
 * optimizer.safetensors, which then need not exist.
 */
export function loadCheckpoint(dir: string, opts: { optimizer?: boolean } = {}): LoadedCheckpoint {
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath))
    throw new CheckpointError(
      `no checkpoint in ${dir} (missing state.json)`,
      'pass the checkpoint folder, e.g. runs/NAME/checkpoint',
    );
  let raw: { format?: unknown };
  try {
    raw = JSON.parse(readFileSync(statePath, 'utf8')) as { format?: unknown };
  } catch (err) {
    throw new CheckpointError(`${statePath} does not parse: ${(err as Error).message}`);
  }
  if (raw?.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(
      `${dir} has checkpoint format ${JSON.stringify(raw?.format)}; this nanometa reads format ${CHECKPOINT_FORMAT}`,
      'retrain with this version (npx tsx train.ts ...)',
    );
  const state = parseCheckpointState(raw, statePath) as CheckpointState;
  const read = (name: string) => {
    const path = join(dir, name);
    const bytes = readFileBytes(path);
    const expected = state.files?.[name];
    if (expected) checkDigest(path, bytes, expected);
    return parseSafetensors(path, bytes).tensors;
  };
  const params = read('model.safetensors');
  checkFinite(join(dir, 'model.safetensors'), params);
  const optimizerTensors = opts.optimizer === false ? new Map<string, NamedArray>() : read('optimizer.safetensors');
  return { dir, state, params, optimizerTensors };
}

/** Copies checkpoint arrays into the model's variables; names and shapes must match exactly. */
export function assignParams(params: ParamMap, saved: Map<string, NamedArray>, source: string): void {
  const problems: string[] = [];
  for (const [name, v] of params) {
    const s = saved.get(name);
    if (!s) problems.push(`missing ${name} ${JSON.stringify(v.shape)}`);
    else if (JSON.stringify(s.shape) !== JSON.stringify(v.shape))
      problems.push(`${name}: checkpoint ${JSON.stringify(s.shape)} vs model ${JSON.stringify(v.shape)}`);
  }
  for (const name of saved.keys()) if (!params.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length)
    throw new CheckpointError(
      `${source} does not fit the model:\n  ${problems.join('\n  ')}`,
      'the architecture comes from the checkpoint; do not override model.* keys when resuming or sampling',
    );
  for (const [name, v] of params) {
    const s = saved.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(s.data, s.shape, 'float32')));
  }
}

/** Optimizer arrays as tensors for optimizer.setState (which assigns them to its variables); the caller disposes them after. */
export function optimizerStateFrom(loaded: LoadedCheckpoint): OptimizerState {
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, a] of loaded.optimizerTensors)
    tensors.set(name, tf.tensor(a.data, a.shape, a.data instanceof Int32Array ? 'int32' : 'float32'));
  return { tensors, scalars: loaded.state.optimizer.scalars };
}
