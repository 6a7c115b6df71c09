// A small GPT that trains on a 2-core CPU in about three minutes on the embedded synthetic stories (wasm backend)
// (compact GPT-2 vocabulary: 512 frequent tokens + 256 bytes + end-of-text = 769, padded to 832). 310k parameters:
// of the sizes that fill three minutes, the one with the lowest val loss (docs/results/wasm-cpu, "Re-sizing").
import type { ConfigDelta } from '../src/config/schema.js';

export const config: ConfigDelta = {
  model: { nLayer: 2, nHead: 4, nEmbd: 96, blockSize: 64, dropout: 0 },
  data: { source: 'synthetic', tokenizer: 'compact', compactVocabSize: 512 },
  optimizer: {
    base: { type: 'adamw', beta1: 0.9, beta2: 0.99, weightDecay: 0.1 },
    lr: 3e-3, // 8 x 64 = 512 tokens per step: small batches like a higher lr
    schedule: { type: 'cosine', warmupSteps: 20, minLr: 3e-4 }, // decays to lr/10 at maxSteps (nanoGPT)
    gradClip: 1,
  },
  // 2000 steps x 512 tokens = 1.0M tokens, 36% of the synthetic train split
  train: { maxSteps: 2000, batchSize: 8, evalInterval: 400, evalIters: 8, logInterval: 10, checkpointInterval: 400 },
  sample: { prompt: 'Once upon a time', maxNewTokens: 120 },
};
