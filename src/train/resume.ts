// What may change between a checkpoint and a resumed run: schedule lengths, intervals, logging. What may
// not: the architecture, the tokenizer, the data, the optimizer kind; each difference is listed by key.
import type { Config } from '../config/schema.js';
import type { TokenizerInfo } from '../data/types.js';
import type { CheckpointState } from '../checkpoint/checkpoint.js';
import { CheckpointError } from '../util/errors.js';

const FIXED_SECTIONS = ['model', 'data'] as const;
/** Keys inside the fixed sections that may still change: where files live, how the head is chunked. */
const FREE_KEYS = new Set(['data.cacheDir', 'data.hubUrl', 'model.lossChunkBytes']);

export function checkResumable(state: CheckpointState, cfg: Config, tokenizer: TokenizerInfo, dir: string): void {
  const diffs: string[] = [];
  for (const section of FIXED_SECTIONS) diffKeys(state.config[section], cfg[section], section, diffs);
  diffKeys(state.config.optimizer.base.type, cfg.optimizer.base.type, 'optimizer.base.type', diffs);
  diffKeys(state.config.optimizer.metaOptimize === null, cfg.optimizer.metaOptimize === null, 'optimizer.metaOptimize (on/off)', diffs);
  diffKeys(state.config.train.batchSize, cfg.train.batchSize, 'train.batchSize', diffs);
  diffKeys(state.config.train.seed, cfg.train.seed, 'train.seed', diffs);
  if (state.tokenizer.identity !== tokenizer.identity)
    diffs.push(`tokenizer identity: checkpoint ${state.tokenizer.identity} vs data ${tokenizer.identity}`);
  if (diffs.length)
    throw new CheckpointError(`cannot resume from ${dir}; the config differs from the checkpoint's:\n  ${diffs.join('\n  ')}`,
      'resume with the run\'s own config (--config RUN/config.json); only train.maxSteps, intervals and logging may change');
}

function diffKeys(a: unknown, b: unknown, path: string, out: string[]): void {
  if (FREE_KEYS.has(path)) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) diffKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${path}: checkpoint ${JSON.stringify(a)} vs now ${JSON.stringify(b)}`);
  }
}
