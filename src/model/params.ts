// The one table of GPT parameters: stable GPT-2 names, shapes (PyTorch layout: Linear weight is
// (out, in)), initialisation (nanoGPT: N(0, 0.02), residual projections scaled by 1/sqrt(2*nLayer)) and
// weight-decay eligibility (rank >= 2). Checkpoints, decay masks and step-size groups all use these names.
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config/schema.js';
import { ConfigError } from '../util/errors.js';

/** Parameters by stable name (e.g. `h.3.attn.qkv.weight`), in the parameter table's order. */
export type ParamMap = Map<string, tf.Variable>;

export interface ParamSpec {
  name: string;
  shape: number[];
  init: { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };
  /** Weight decay applies (matrices and embeddings, not biases or LayerNorm gains). */
  decay: boolean;
}

export function paramTable(cfg: ModelConfig, vocabSize: number): ParamSpec[] {
  const C = cfg.nEmbd,
    std = cfg.initStd;
  const residualStd = std / Math.sqrt(2 * cfg.nLayer); // GPT-2 paper: scale residual projections
  const specs: ParamSpec[] = [];
  const matrix = (name: string, shape: number[], s = std) =>
    specs.push({ name, shape, init: { kind: 'normal', std: s }, decay: true });
  const vector = (name: string, n: number, kind: 'zeros' | 'ones') =>
    specs.push({ name, shape: [n], init: { kind }, decay: false });
  const layerNorm = (name: string) => {
    vector(`${name}.weight`, C, 'ones');
    if (cfg.bias) vector(`${name}.bias`, C, 'zeros');
  };
  const linear = (name: string, inputs: number, outputs: number, s = std) => {
    matrix(`${name}.weight`, [outputs, inputs], s);
    if (cfg.bias) vector(`${name}.bias`, outputs, 'zeros');
  };

  matrix('wte.weight', [vocabSize, C]); // also the LM head (tied)
  matrix('wpe.weight', [cfg.blockSize, C]);
  for (let i = 0; i < cfg.nLayer; i++) {
    layerNorm(`h.${i}.ln_1`);
    linear(`h.${i}.attn.qkv`, C, 3 * C);
    linear(`h.${i}.attn.proj`, C, C, residualStd);
    layerNorm(`h.${i}.ln_2`);
    linear(`h.${i}.mlp.fc`, C, 4 * C);
    linear(`h.${i}.mlp.proj`, 4 * C, C, residualStd);
  }
  layerNorm('ln_f');
  return specs;
}

export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** The model's vocabulary rows: config override, else the tokenizer's size padded up. */
export function paddedVocabSize(cfg: ModelConfig, tokenizerVocab: number): number {
  if (cfg.vocabSize !== null && cfg.vocabSize < tokenizerVocab)
    throw new ConfigError(
      `model.vocabSize (${cfg.vocabSize}) is smaller than the tokenizer's vocabulary (${tokenizerVocab} ids): ` +
        `token ids up to ${tokenizerVocab - 1} have no embedding row`,
      `set model.vocabSize=null (the tokenizer's size, padded) or at least ${tokenizerVocab}`,
    );
  if (cfg.vocabSize !== null) return cfg.vocabSize;
  return Math.ceil(tokenizerVocab / cfg.padVocabMultiple) * cfg.padVocabMultiple;
}
