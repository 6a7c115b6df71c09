// What loadCheckpoint checks before anything trusts a checkpoint: state.json against a schema (types, ranges,
// the config and tokenizer present), each file's size and sha256 against the ones state.json recorded when it was
// saved, and every weight finite. Each failure is a CheckpointError naming the file.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigSchema } from '../config/schema.js';
import { CheckpointError } from '../util/errors.js';
import type { NamedArray } from './safetensors.js';

const count = z.number().int().min(0);
const uint32 = z.number().int().min(0).max(0xffffffff);

/** A checkpoint file's size and sha256 (hex), recorded in state.json `files`. */
export const FileDigestSchema = z.object({ bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict();
export type FileDigest = z.infer<typeof FileDigestSchema>;

export const CheckpointStateSchema = z.object({
  format: z.number().int(),
  toolkitVersion: z.string(),
  step: count,
  tokensSeen: count,
  elapsedSec: z.number().min(0),
  bestValLoss: z.number().nullable(),
  dataRng: z
    .tuple([uint32, uint32, uint32, uint32])
    .describe("the batch sampler's RNG state; without it a resumed run reads other batches"),
  vocabSize: z.number().int().min(1),
  paramCount: count,
  config: ConfigSchema,
  tokenizer: z.object({
    kind: z.enum(['gpt2', 'compact']),
    vocabSize: z.number().int().min(1),
    eotId: count,
    identity: z.string().min(1),
    gpt2Ids: z.array(count).optional(),
  }),
  optimizer: z.object({
    name: z.string(),
    blockNames: z.array(z.string()),
    scalars: z.record(z.string(), z.unknown()),
  }),
  gemmChoices: z.object({ device: z.string(), choices: z.record(z.string(), z.unknown()) }).optional(),
  files: z.record(z.string(), FileDigestSchema).optional(),
});

/** Validates a parsed state.json; every problem is listed with its key. */
export function parseCheckpointState(raw: unknown, path: string): z.infer<typeof CheckpointStateSchema> {
  const parsed = CheckpointStateSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) =>
      `${i.path.join('.') || '(top level)'}: ${i.code === 'invalid_type' && i.message.includes('undefined') ? 'missing' : i.message}`,
  );
  throw new CheckpointError(
    `${path} is not a valid checkpoint state:\n  ${problems.join('\n  ')}`,
    'it was edited or damaged; use another checkpoint, or retrain (npx tsx train.ts ...)',
  );
}

export function digest(bytes: Uint8Array): FileDigest {
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Compares a file's bytes with the digest state.json recorded when the checkpoint was saved. */
export function checkDigest(path: string, bytes: Uint8Array, expected: FileDigest): void {
  const actual = digest(bytes);
  if (actual.bytes !== expected.bytes || actual.sha256 !== expected.sha256)
    throw new CheckpointError(
      `${path} does not match the checksum state.json recorded when it was saved ` +
        `(${actual.bytes} bytes, sha256 ${actual.sha256.slice(0, 12)}... vs ${expected.bytes} bytes, ${expected.sha256.slice(0, 12)}...): the file was changed or damaged`,
      'use another checkpoint (an earlier run folder or a backup), or retrain',
    );
}

/** Refuses NaN or Infinity in a float tensor, naming the file, tensor and first bad index. */
export function checkFinite(path: string, tensors: Map<string, NamedArray>): void {
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array)) continue;
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new CheckpointError(
          `${path}: tensor ${name} holds ${data[i]} at index ${i}; the checkpoint is damaged`,
          'use another checkpoint (an earlier run folder or a backup), or retrain',
        );
    }
  }
}
