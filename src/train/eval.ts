// Loss estimates (nanoGPT estimate_loss): mean loss over evalIters batches of each split, without dropout.
// Eval batches come from their own fixed-seed samplers (train.evalSeed, else train.seed), so they are the same at every eval and never
// disturb the training batch order (a resumed run stays identical).
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/schema.js';
import type { GPT } from '../model/gpt.js';
import type { PreparedData, TokenStream } from '../data/types.js';
import { BatchSampler } from '../data/batches.js';
import { applyDataSchedule } from '../data/nonstationary.js';

export async function estimateLoss(
  model: GPT,
  data: PreparedData,
  cfg: Config,
  step: number,
): Promise<{ trainLoss: number; valLoss: number }> {
  const split = async (stream: TokenStream, salt: number) => {
    const seed = (cfg.train.evalSeed ?? cfg.train.seed) + salt;
    const sampler = new BatchSampler(stream, cfg.model.blockSize, cfg.train.batchSize, seed);
    const losses: tf.Scalar[] = [];
    for (let i = 0; i < cfg.train.evalIters; i++) {
      const batch = sampler.next();
      applyDataSchedule(batch, step, cfg.data, data.tokenizer.vocabSize);
      losses.push(
        tf.tidy(() =>
          model.loss(tf.tensor2d(batch.x, batch.shape, 'int32'), tf.tensor2d(batch.y, batch.shape, 'int32')),
        ),
      );
    }
    // pairwise adds, not tf.addN: WebGPU binds at most 8 storage buffers per shader
    const mean = tf.tidy(() =>
      tf.div(
        losses.reduce((acc: tf.Tensor, x) => tf.add(acc, x)),
        losses.length,
      ),
    );
    const value = (await mean.data())[0];
    tf.dispose([...losses, mean]);
    return value;
  };
  return { trainLoss: await split(data.train, 101), valLoss: await split(data.val, 202) };
}
