// Text generation from a checkpoint (nanoGPT sample.py / generate): crop the context to the last
// blockSize tokens, take the last position's logits, sample, stream the decoded text, stop at end-of-text.
// No KV cache: each new token re-runs the cropped context (simple and exact; fine for small models).
import * as tf from '@tensorflow/tfjs-core';
import type { SampleConfig } from '../config/schema.js';
import { assignParams, loadCheckpoint, type LoadedCheckpoint } from '../checkpoint/checkpoint.js';
import { buildModel, type GPT } from '../model/gpt.js';
import { createStreamDecoder, loadTokenizer } from '../data/tokenizer.js';
import type { Tokenizer } from '../data/types.js';
import { Rng } from '../util/rng.js';
import { drawToken, samplingDistribution } from './sampling.js';

export interface Sampler {
  model: GPT;
  tokenizer: Tokenizer;
  checkpoint: LoadedCheckpoint;
}

/** Loads a checkpoint's model (architecture from its config) and tokenizer. */
export function loadSampler(dir: string): Sampler {
  const checkpoint = loadCheckpoint(dir, { optimizer: false }); // sampling needs the weights only
  const { config, vocabSize, tokenizer } = checkpoint.state;
  const model = buildModel(config.model, vocabSize, 0);
  assignParams(model.params, checkpoint.params, dir);
  return { model, tokenizer: loadTokenizer(tokenizer), checkpoint };
}

/** Generates one continuation of `prompt`; `onText` receives decoded text as tokens arrive. */
export async function generate(
  s: Sampler,
  opts: SampleConfig,
  sampleIndex: number,
  onText: (text: string) => void = () => {},
): Promise<{ text: string; tokens: number[] }> {
  const { model, tokenizer } = s;
  const T = model.cfg.blockSize;
  const eot = tokenizer.info.eotId;
  const rng = new Rng((opts.seed + sampleIndex * 7919) >>> 0);
  const context = opts.prompt ? tokenizer.encode(opts.prompt) : [eot];
  const decoder = createStreamDecoder(tokenizer.info);
  const produced: number[] = [];
  let text = '';
  for (let i = 0; i < opts.maxNewTokens; i++) {
    const window = context.slice(-T); // crop prompts longer than the context
    const logits = tf.tidy(() => model.lastLogits(tf.tensor2d(window, [1, window.length], 'int32'))); // (1, V)
    const values = await logits.data();
    logits.dispose();
    const next = drawToken(samplingDistribution(values, tokenizer.info.vocabSize, opts), rng);
    if (next === eot) break;
    context.push(next);
    produced.push(next);
    const piece = decoder.push(next);
    text += piece;
    if (piece) onText(piece);
  }
  const rest = decoder.flush();
  if (rest) onText(rest);
  return { text: text + rest, tokens: produced };
}
