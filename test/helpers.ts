// Shared test set-up: the cpu backend (with nanometa's kernels), tiny configs, and the per-step tensor count check.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpBackend } from '../src/kernels/register.js';
import { validateConfig } from '../src/config/resolve.js';
import type { Config } from '../src/config/schema.js';
import { ArrayTokenStream, BatchSampler } from '../src/data/batches.js';
import { buildModel } from '../src/model/gpt.js';
import { createOptimizer } from '../src/optim/create.js';
import { trainStep } from '../src/train/step.js';

export async function useCpu(): Promise<void> {
  await setUpBackend('cpu');
}

export function tempDir(prefix = 'nanometa-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A model and run small enough for the tfjs cpu backend in a test: 1 layer, d 16, T 16, 200 synthetic stories. */
export function tinyConfig(cacheDir: string, overrides: Record<string, unknown> = {}): Config {
  const base = {
    model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 },
    data: { source: 'synthetic', syntheticStories: 200, tokenizer: 'compact', compactVocabSize: 64, cacheDir },
    optimizer: { base: { type: 'adamw', weightDecay: 0.1 }, lr: 3e-3, schedule: { type: 'constant' } },
    train: { maxSteps: 6, batchSize: 4, evalInterval: 3, evalIters: 2, logInterval: 1, checkpointInterval: 3, seed: 7 },
  };
  return validateConfig(merge(base, overrides));
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * tf.memory().numTensors after one warm-up step and after three more of a tiny model on the active backend:
 * trainStep with two micro-batches and clipping, then MetaOptimize(AdamW, Lion) layerwise. Equal when a step leaks
 * nothing.
 */
export async function tensorsAcrossSteps(cacheDir: string): Promise<{ before: number; after: number }> {
  const cfg = tinyConfig(cacheDir, {
    train: { gradAccumSteps: 2 },
    optimizer: { metaOptimize: { blocks: 'layerwise' } },
  });
  const model = buildModel(cfg.model, 64, 1);
  const optimizer = createOptimizer(cfg.optimizer, model.params);
  const sampler = new BatchSampler(
    new ArrayTokenStream(Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 64)),
    16,
    4,
    1,
  );
  const step = async () => {
    const { loss, grads, gradNorm, gradScale } = await trainStep(
      model,
      [sampler.next(), sampler.next()],
      1,
      () => undefined,
    );
    await optimizer.step(model.params, grads, 1e-3, gradScale);
    tf.dispose([loss, gradNorm, ...(gradScale ? [gradScale] : []), ...grads.values()]);
  };
  try {
    await step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await step();
    return { before, after: tf.memory().numTensors };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
