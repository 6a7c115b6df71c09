// GPT model: loss at init, causality, finite-difference gradients, overfitting one batch, chunked loss.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../src/model/gpt.js';
import { crossEntropyLoss, referenceCrossEntropy, chunkRows } from '../../src/model/loss.js';
import { paramTable, countParams } from '../../src/model/params.js';
import { validateConfig } from '../../src/config/resolve.js';
import { createOptimizer } from '../../src/optim/create.js';
import { Rng } from '../../src/util/rng.js';
import { useCpu } from '../helpers.js';

const cfg = validateConfig({ model: { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8 } });
const V = 64;

function tokens(B: number, T: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  return tf.tensor2d(
    Array.from({ length: B * T }, () => rng.int(V)),
    [B, T],
    'int32',
  );
}

beforeAll(useCpu);

describe('GPT', () => {
  it('names parameters like GPT-2 and counts them', () => {
    const specs = paramTable(cfg.model, V);
    expect(specs.map((s) => s.name)).toContain('h.1.attn.qkv.weight');
    expect(specs.find((s) => s.name === 'h.0.mlp.fc.weight')!.shape).toEqual([64, 16]); // (out, in)
    // wte 64*16 + wpe 8*16 + per layer (2 LN 64 + qkv 816 + proj 272 + fc 1088 + proj 1040) + ln_f 32
    expect(countParams(specs)).toBe(1024 + 128 + 2 * (64 + 816 + 272 + 1088 + 1040) + 32);
    expect(specs.filter((s) => s.decay).every((s) => s.shape.length === 2)).toBe(true);
  });

  it('has a loss close to ln(V) at initialisation', () => {
    const model = buildModel(cfg.model, V, 1);
    const loss = tf.tidy(() => model.loss(tokens(4, 8, 1), tokens(4, 8, 2)).dataSync()[0]);
    expect(Math.abs(loss - Math.log(V))).toBeLessThan(0.05);
    model.dispose();
  });

  it('is causal: changing a later token never changes earlier logits', () => {
    const model = buildModel(cfg.model, V, 2);
    const x = tokens(1, 8, 3);
    const changed = x.arraySync();
    changed[0][5] = (changed[0][5] + 1) % V;
    const a = model.logits(x).arraySync()[0];
    const b = model.logits(tf.tensor2d(changed, [1, 8], 'int32')).arraySync()[0];
    for (let t = 0; t < 5; t++) expect(b[t]).toEqual(a[t]);
    expect(b[5]).not.toEqual(a[5]);
    model.dispose();
  });

  it('has gradients that match central finite differences', () => {
    const model = buildModel(cfg.model, V, 3);
    const x = tokens(2, 8, 4),
      y = tokens(2, 8, 5);
    const f = () => model.loss(x, y);
    const { grads } = tf.variableGrads(f);
    const rng = new Rng(9);
    const eps = 1e-2;
    for (const name of [
      'wte.weight',
      'wpe.weight',
      'h.0.attn.qkv.weight',
      'h.1.mlp.proj.weight',
      'h.0.ln_1.weight',
      'ln_f.bias',
    ]) {
      const v = model.params.get(name)!;
      const analytic = grads[v.name].dataSync();
      for (let k = 0; k < 3; k++) {
        const i = rng.int(v.size);
        const base = v.dataSync().slice();
        const at = (delta: number) => {
          const w = base.slice();
          w[i] += delta;
          v.assign(tf.tensor(w, v.shape));
          return tf.tidy(() => f().dataSync()[0]);
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        expect(
          Math.abs(numeric - analytic[i]),
          `${name}[${i}]: numeric ${numeric} vs autodiff ${analytic[i]}`,
        ).toBeLessThan(2e-3 + 0.03 * Math.abs(analytic[i]));
      }
    }
    tf.dispose(grads);
    model.dispose();
  });

  it('overfits one small batch to near-zero loss', async () => {
    const small = validateConfig({ model: { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 8 } });
    const model = buildModel(small.model, 32, 4);
    const opt = createOptimizer(validateConfig({ optimizer: { lr: 1e-2 } }).optimizer, model.params);
    const x = tf.tensor2d(
      [
        [1, 2, 3, 4, 5, 6, 7, 8],
        [9, 10, 11, 12, 13, 14, 15, 16],
      ],
      [2, 8],
      'int32',
    );
    const y = tf.tensor2d(
      [
        [2, 3, 4, 5, 6, 7, 8, 9],
        [10, 11, 12, 13, 14, 15, 16, 17],
      ],
      [2, 8],
      'int32',
    );
    let loss = Infinity;
    for (let s = 0; s < 150; s++) {
      const { value, grads } = tf.variableGrads(() => model.loss(x, y));
      loss = value.dataSync()[0];
      await opt.step(model.params, new Map([...model.params].map(([n, v]) => [n, grads[v.name]])), 1e-2);
      tf.dispose([value, grads]);
    }
    expect(loss).toBeLessThan(0.05);
    opt.dispose();
    model.dispose();
  });
});

describe('chunked cross-entropy', () => {
  it('matches the unchunked one-hot reference in value and gradients', () => {
    const rng = new Rng(11);
    const N = 10,
      C = 6,
      Vs = 13;
    const h = tf.variable(
      tf.tensor2d(
        Array.from({ length: N * C }, () => rng.normal()),
        [N, C],
      ),
    );
    const W = tf.variable(
      tf.tensor2d(
        Array.from({ length: Vs * C }, () => rng.normal()),
        [Vs, C],
      ),
    );
    const y = tf.tensor1d(
      Array.from({ length: N }, () => rng.int(Vs)),
      'int32',
    );
    const chunkBytes = Vs * 4 * 3; // 3 rows per chunk -> 4 chunks
    expect(chunkRows(Vs, chunkBytes)).toBe(3);
    const a = tf.variableGrads(() => crossEntropyLoss(h, W, y, chunkBytes));
    const b = tf.variableGrads(() => referenceCrossEntropy(h, W, y));
    expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0], 5);
    for (const v of [h, W]) {
      const ga = a.grads[v.name].dataSync(),
        gb = b.grads[v.name].dataSync();
      ga.forEach((g, i) => expect(g).toBeCloseTo(gb[i], 5));
    }
  });

  it('never holds more than one chunk of logits: chunk size follows the byte budget', () => {
    expect(chunkRows(50304, 256 * 1024 * 1024)).toBe(1334); // 1334 rows x 50304 x 4 B < 256 MiB
    expect(chunkRows(50304, 1024)).toBe(1);
  });
});
