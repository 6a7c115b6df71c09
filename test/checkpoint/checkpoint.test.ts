// Checkpoints: safetensors layout, round trip to identical logits, shape/name mismatch and corrupt files.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../src/model/gpt.js';
import { assignParams, loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../src/checkpoint/checkpoint.js';
import { encodeSafetensors, readSafetensors } from '../../src/checkpoint/safetensors.js';
import { validateConfig } from '../../src/config/resolve.js';
import { tempDir, useCpu } from '../helpers.js';

beforeAll(useCpu);

const cfg = validateConfig({ model: { nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 8 } });

function state(): CheckpointState {
  return {
    format: 1,
    toolkitVersion: 'test',
    step: 3,
    tokensSeen: 96,
    elapsedSec: 1,
    bestValLoss: 2.5,
    dataRng: [1, 2, 3, 4],
    vocabSize: 32,
    paramCount: 0,
    config: cfg,
    tokenizer: { kind: 'gpt2', vocabSize: 50257, eotId: 50256, identity: 'x' },
    optimizer: { name: 'adamw', blockNames: ['all'], scalars: { t: 3 } },
  };
}

describe('safetensors', () => {
  it('writes the documented layout: u64 header length, JSON header, 8-byte aligned data', () => {
    const bytes = encodeSafetensors(
      new Map([
        ['a', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
        ['b', { shape: [1], data: new Int32Array([7]) }],
      ]),
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header.b).toEqual({ dtype: 'I32', shape: [1], data_offsets: [16, 20] });
    expect(bytes.length).toBe(8 + n + 20);
  });

  it('refuses a truncated file with its name', () => {
    const dir = tempDir();
    const path = join(dir, 'x.safetensors');
    const bytes = encodeSafetensors(new Map([['a', { shape: [4], data: new Float32Array(4) }]]));
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    expect(() => readSafetensors(path)).toThrow(/x\.safetensors.*truncated/);
  });
});

describe('checkpoint', () => {
  it('round-trips to identical logits and optimizer tensors', async () => {
    const dir = join(tempDir(), 'checkpoint');
    const a = buildModel(cfg.model, 32, 1);
    const m = tf.randomNormal([3, 2]);
    await saveCheckpoint(dir, a.params, { tensors: new Map([['wte.weight/m', m]]), scalars: {} }, state());
    const loaded = loadCheckpoint(dir);
    expect(loaded.state.step).toBe(3);
    expect(Array.from(loaded.optimizerTensors.get('wte.weight/m')!.data)).toEqual(Array.from(m.dataSync()));
    const b = buildModel(cfg.model, 32, 99);
    assignParams(b.params, loaded.params, dir);
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');
    expect(Array.from(b.logits(x).dataSync())).toEqual(Array.from(a.logits(x).dataSync()));
  });

  it('says which parameter names and shapes differ', async () => {
    const dir = join(tempDir(), 'checkpoint');
    const a = buildModel(cfg.model, 32, 1);
    await saveCheckpoint(dir, a.params, { tensors: new Map(), scalars: {} }, state());
    const wider = buildModel(validateConfig({ model: { nLayer: 2, nHead: 2, nEmbd: 8, blockSize: 8 } }).model, 40, 1);
    expect(() => assignParams(wider.params, loadCheckpoint(dir).params, dir)).toThrow(
      /wte\.weight: checkpoint \[32,8\] vs model \[40,8\][\s\S]*missing h\.1\.ln_1\.weight/,
    );
  });

  it('refuses a folder without state.json and a wrong format version', async () => {
    expect(() => loadCheckpoint(tempDir())).toThrow(/no checkpoint in .*state\.json/);
    const dir = join(tempDir(), 'checkpoint');
    await saveCheckpoint(dir, buildModel(cfg.model, 32, 1).params, { tensors: new Map(), scalars: {} }, state());
    const s = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...s, format: 99 }));
    expect(() => loadCheckpoint(dir)).toThrow(/format 99/);
  });
});
