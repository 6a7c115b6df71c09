// GPT-2 style decoder (nanoGPT model.py): token + learned position embeddings, pre-LayerNorm blocks,
// final LayerNorm, LM head tied to the token embedding, chunked cross-entropy (model/loss.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config/schema.js';
import type { ParamMap } from './params.js';
import { Rng } from '../util/rng.js';
import { embedPositions } from '../kernels/embedding/index.js';
import { block } from './block.js';
import { dropout, layerNorm } from './layers.js';
import { crossEntropyLoss, crossEntropyTrain } from './loss.js';
import { countParams, paramTable, type ParamSpec } from './params.js';

export interface ForwardOptions {
  /** Seed for this forward pass's dropout masks; undefined = no dropout (eval, sampling). */
  dropoutSeed?: number;
}

export interface LossOptions extends ForwardOptions {
  /** Inside a gradient tape (training): the fused cross-entropy that computes the LM head's gradients in the forward. */
  training?: boolean;
}

export class GPT {
  readonly params: ParamMap = new Map();
  readonly specs: ParamSpec[];
  readonly paramCount: number;

  constructor(
    readonly cfg: ModelConfig,
    readonly vocabSize: number,
    seed: number,
  ) {
    this.specs = paramTable(cfg, vocabSize);
    this.paramCount = countParams(this.specs);
    const rng = new Rng(seed);
    for (const spec of this.specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (spec.init.kind === 'ones') values.fill(1);
      else if (spec.init.kind === 'normal') for (let i = 0; i < size; i++) values[i] = rng.normal() * spec.init.std;
      const init = tf.tensor(values, spec.shape, 'float32');
      this.params.set(spec.name, tf.variable(init, true)); // unnamed: tfjs variable names must be unique across models
      init.dispose();
    }
  }

  private p(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /** Final hidden states after ln_f; idx (B, T) int32 with T <= blockSize -> (B, T, C). */
  hidden(idx: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = idx.shape;
    const { h, wte } = this.forward(idx, opts);
    wte.dispose(); // a second handle on wte.weight's data, for the tied LM head
    const out = tf.reshape(h, [B, T, this.cfg.nEmbd]) as tf.Tensor3D; // (B, T, C)
    h.dispose();
    return out;
  }

  /** ln_f's output h (B*T, C) and the token table for the tied LM head, handed on by the embedding (embedPositions, kernels/embedding). */
  private forward(idx: tf.Tensor2D, opts: ForwardOptions): { h: tf.Tensor2D; wte: tf.Tensor2D } {
    const [B, T] = idx.shape;
    const rate = opts.dropoutSeed === undefined ? 0 : this.cfg.dropout;
    const seedAt = (k: number) => (opts.dropoutSeed === undefined ? undefined : opts.dropoutSeed + 4 * k);
    const [wte, tokPos] = embedPositions(this.p('wte.weight') as tf.Tensor2D, this.p('wpe.weight') as tf.Tensor2D, idx); // (V, C), (B*T, C)
    let x = dropout(tokPos, rate, seedAt(0)) as tf.Tensor2D; // (B*T, C): the residual stream
    for (let i = 0; i < this.cfg.nLayer; i++) x = block(x, B, T, this.params, i, this.cfg.nHead, rate, seedAt(i + 1)); // (B*T, C)
    const h = layerNorm(x, this.p('ln_f.weight'), this.params.get('ln_f.bias')) as tf.Tensor2D; // (B*T, C)
    return { h, wte };
  }

  /** Mean next-token cross-entropy; x, y (B, T) int32. */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, opts: LossOptions = {}): tf.Scalar {
    const [B, T] = x.shape;
    const { h, wte } = this.forward(x, opts);
    const ce = opts.training ? crossEntropyTrain : crossEntropyLoss;
    return ce(h, wte, tf.reshape(y, [B * T]) as tf.Tensor1D, this.cfg.lossChunkBytes);
  }

  /** Logits of every position (B, T, V): small inputs only (tests). */
  logits(x: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = x.shape;
    const h = tf.reshape(this.hidden(x), [B * T, this.cfg.nEmbd]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(h, this.p('wte.weight'), false, true), [B, T, this.vocabSize]);
  }

  /** Logits of the last position only (B, V), for sampling. */
  lastLogits(x: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = x.shape;
    const C = this.cfg.nEmbd;
    const last = tf.reshape(tf.slice(this.hidden(x), [0, T - 1, 0], [B, 1, C]), [B, C]) as tf.Tensor2D; // (B, C)
    return tf.matMul(last, this.p('wte.weight'), false, true); // (B, V)
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

export function buildModel(cfg: ModelConfig, vocabSize: number, seed: number): GPT {
  return new GPT(cfg, vocabSize, seed);
}
