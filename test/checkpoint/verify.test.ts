// Damaged checkpoints are refused by name, never loaded: flipped bits (checksum in state.json), NaN weights,
// shifted or misaligned data_offsets, a state.json with wrong types or missing keys; sampling needs no optimizer
// file; a full disk while saving says how much space is needed, where, and which checkpoint is kept.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../src/model/gpt.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../src/checkpoint/checkpoint.js';
import { loadSampler } from '../../src/sample/generate.js';
import { validateConfig } from '../../src/config/resolve.js';
import { CheckpointError } from '../../src/util/errors.js';
import { gpt2Info } from '../../src/data/tokenizer.js';
import { tempDir, useCpu } from '../helpers.js';

beforeAll(useCpu);

const cfg = validateConfig({ model: { nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 8 } });
const state = (step = 3): CheckpointState => ({
  format: 1,
  toolkitVersion: 'test',
  step,
  tokensSeen: 96,
  elapsedSec: 1,
  bestValLoss: 2.5,
  dataRng: [1, 2, 3, 4],
  vocabSize: 32,
  paramCount: 0,
  config: cfg,
  tokenizer: gpt2Info(),
  optimizer: { name: 'adamw', blockNames: ['all'], scalars: { t: 3 } },
});

async function saved(): Promise<string> {
  const dir = join(tempDir(), 'checkpoint');
  const m = tf.randomNormal([3, 2]);
  await saveCheckpoint(
    dir,
    buildModel(cfg.model, 32, 1).params,
    { tensors: new Map([['wte.weight/m', m]]), scalars: {} },
    state(),
  );
  m.dispose();
  return dir;
}

const readState = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
const editState = (dir: string, edit: (s: Record<string, unknown>) => void) => {
  const s = readState(dir);
  edit(s);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(s));
};
const loadError = (dir: string, opts = {}): CheckpointError => {
  try {
    loadCheckpoint(dir, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return err as CheckpointError;
  }
  throw new Error(`${dir} loaded without an error`);
};

/** Rewrites model.safetensors' JSON header (the data bytes stay where they are). */
function editHeader(dir: string, edit: (h: Record<string, { data_offsets: number[] }>) => void): void {
  const path = join(dir, 'model.safetensors');
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString());
  edit(header);
  let json = JSON.stringify(header);
  json += ' '.repeat(Math.max(0, n - json.length));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, Buffer.from(json), buf.subarray(8 + n)]));
}

describe('checkpoint verification', () => {
  it('records size and sha256 of each file in state.json; one flipped bit is refused naming the file', async () => {
    const dir = await saved();
    const files = readState(dir).files;
    expect(Object.keys(files).sort()).toEqual(['model.safetensors', 'optimizer.safetensors']);
    expect(files['model.safetensors'].bytes).toBe(readFileSync(join(dir, 'model.safetensors')).length);
    expect(files['model.safetensors'].sha256).toMatch(/^[0-9a-f]{64}$/);
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    bytes[bytes.length - 5] ^= 0x10; // one bit of a weight
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    expect(loadError(dir).message).toMatch(
      new RegExp(`${join(dir, 'model.safetensors')} does not match the checksum state.json recorded`),
    );
  });

  it('refuses NaN weights, naming file, tensor and index (also without recorded checksums)', async () => {
    const dir = await saved();
    editState(dir, (s) => delete s.files);
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    bytes.writeFloatLE(Number.NaN, bytes.length - 4); // the last value of the last tensor
    writeFileSync(path, bytes);
    const err = loadError(dir);
    expect(err.message).toMatch(/model\.safetensors: tensor \S+ holds NaN at index \d+; the checkpoint is damaged/);
  });

  it('refuses data_offsets that are shifted, misaligned or overlapping', async () => {
    const cases: [string, (h: Record<string, { data_offsets: number[] }>) => void, RegExp][] = [
      [
        'shifted by 4 bytes',
        (h) => {
          h['wte.weight'].data_offsets = h['wte.weight'].data_offsets.map((o) => o + 4);
        },
        /overlaps the tensor before it|a gap of 4 bytes before tensor wte\.weight/,
      ],
      [
        'not a multiple of 4',
        (h) => {
          h['wte.weight'].data_offsets = h['wte.weight'].data_offsets.map((o) => o + 2);
        },
        /tensor wte\.weight has data_offsets \[\d+, \d+\], not multiples of 4/,
      ],
      [
        'too short for its shape',
        (h) => {
          h['wte.weight'].data_offsets[1] -= 4;
        },
        /tensor wte\.weight of shape \[32,8\] needs 1024 bytes but data_offsets/,
      ],
    ];
    for (const [what, edit, message] of cases) {
      const dir = await saved();
      editState(dir, (s) => delete s.files);
      editHeader(dir, edit);
      const err = loadError(dir);
      expect(err.message, what).toContain(`${join(dir, 'model.safetensors')} is not a valid safetensors file`);
      expect(err.message, what).toMatch(message);
    }
  });

  it('validates state.json: types, ranges, dataRng, config and tokenizer, each by key', async () => {
    const cases: [(s: Record<string, unknown>) => void, RegExp][] = [
      [
        (s) => {
          s.step = '30';
        },
        /step: Invalid input: expected number, received string/,
      ],
      [
        (s) => {
          s.step = -5;
        },
        /step: Too small/,
      ],
      [
        (s) => {
          delete s.dataRng;
        },
        /dataRng: missing/,
      ],
      [
        (s) => {
          delete s.config;
          delete s.tokenizer;
        },
        /config: missing[\s\S]*tokenizer: missing/,
      ],
    ];
    for (const [edit, message] of cases) {
      const dir = await saved();
      editState(dir, edit);
      const err = loadError(dir);
      expect(err.message).toContain(`${join(dir, 'state.json')} is not a valid checkpoint state`);
      expect(err.message).toMatch(message);
    }
  });

  it('sampling loads a checkpoint whose optimizer.safetensors is missing; resuming does not', async () => {
    const dir = await saved();
    rmSync(join(dir, 'optimizer.safetensors'));
    const sampler = loadSampler(dir);
    expect(sampler.checkpoint.state.step).toBe(3);
    sampler.model.dispose();
    expect(loadError(dir).message).toMatch(/cannot read .*optimizer\.safetensors/);
  });
});

/** A 160 KiB tmpfs (root only: mount(8)); null where mounting is not allowed. */
function smallDisk(): string | null {
  const dir = tempDir('nanometa-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}

describe('disk full while saving', () => {
  it('says how much space the checkpoint needs and where, and whether an older one is kept', async (ctx) => {
    const disk = smallDisk();
    if (!disk) return ctx.skip('needs a small tmpfs: mount -t tmpfs is allowed for root only');
    try {
      // model 14.5 KiB, optimizer 2 x 14.5 KiB: one checkpoint (~44 KiB) fits in 160 KiB, four do not
      const model = buildModel(
        validateConfig({ model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8 } }).model,
        64,
        1,
      );
      const opt = {
        tensors: new Map(
          [...model.params].flatMap(
            ([n, v]) =>
              [
                [`${n}/m`, v],
                [`${n}/v`, v],
              ] as [string, tf.Tensor][],
          ),
        ),
        scalars: {},
      };
      const first = join(disk, 'a', 'checkpoint');
      const fill = join(disk, 'filler');
      writeFileSync(fill, Buffer.alloc(130 * 1024)); // leaves ~30 KiB: not enough for even one checkpoint
      const none = await saveCheckpoint(first, model.params, opt, state(4)).then(
        () => null,
        (e: unknown) => e as CheckpointError,
      );
      expect(none).toBeInstanceOf(CheckpointError);
      expect(none!.message).toMatch(
        new RegExp(
          `^no space left on the disk holding ${join(disk, 'a')}: the checkpoint of step 4 needs \\d+\\.\\d KiB ` +
            `\\(model\\.safetensors [\\d.]+ KiB, optimizer\\.safetensors [\\d.]+ KiB, state\\.json [\\d.]+ KiB\\) and [\\d.]+ KiB is free; it was not written, ` +
            `and no checkpoint has been saved in ${first} yet$`,
        ),
      );
      expect(none!.hint).toMatch(
        /^free at least [\d.]+ KiB there \(df -h .*\), or train into a folder on another disk with --out$/,
      );
      expect(readdirSync(join(disk, 'a'))).toEqual([]); // no temp folder left behind

      rmSync(fill);
      await saveCheckpoint(first, model.params, opt, state(4));
      mkdirSync(join(disk, 'b'));
      writeFileSync(fill, Buffer.alloc(80 * 1024)); // room for the old checkpoint, not for a second beside it
      const kept = await saveCheckpoint(first, model.params, opt, state(8)).then(
        () => null,
        (e: unknown) => e as CheckpointError,
      );
      expect(kept!.message).toMatch(
        new RegExp(
          `the checkpoint of step 8 needs .* it was not written, and the checkpoint of step 4 in ${first} is kept$`,
        ),
      );
      expect(kept!.hint).toMatch(/then continue with --resume/);
      expect(loadCheckpoint(first).state.step).toBe(4);
      model.dispose();
    } finally {
      execFileSync('umount', [disk]);
    }
  });
});
