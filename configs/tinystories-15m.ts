// The llama2.c / TinyStories "15M" shape as a GPT-2: d 288, 6 layers, 6 heads, context 256, GPT-2 BPE
// (50257 tokens padded to 50304 = 786 x 64), batch 128 -> 32768 tokens per step; 20.5M parameters
// (14.5M of them the tied embedding). Data: TinyStories from the Hugging Face Hub.
import type { ConfigDelta } from '../src/config/schema.js';

export const config: ConfigDelta = {
  model: { nLayer: 6, nHead: 6, nEmbd: 288, blockSize: 256, dropout: 0, bias: true },
  data: { source: 'hf:roneneldan/TinyStories', tokenizer: 'gpt2' },
  optimizer: {
    base: { type: 'adamw', beta1: 0.9, beta2: 0.95, weightDecay: 0.1 }, // nanoGPT's AdamW settings
    lr: 5e-4,
    schedule: { type: 'cosine', warmupSteps: 1000, minLr: 5e-5 }, // minLr = lr/10 (Chinchilla-style)
    gradClip: 1,
  },
  train: {
    maxSteps: 20000,
    batchSize: 128,
    evalInterval: 1000,
    evalIters: 50,
    logInterval: 10,
    checkpointInterval: 1000,
  },
  sample: { prompt: 'Once upon a time', maxNewTokens: 256 },
};
