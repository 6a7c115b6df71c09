// Shared test set-up: the cpu backend (with nanometa's kernels) and tiny configs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpBackend } from '../src/kernels/register.js';
import { validateConfig } from '../src/config/resolve.js';
import type { Config } from '../src/config/schema.js';

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
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v)
      ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
