// Tokenizers: GPT-2 BPE (r50k_base through gpt-tokenizer) and the compact GPT-2 vocabulary (the N most
// frequent GPT-2 tokens of the training data + the 256 single-byte tokens + end-of-text, other tokens
// re-encoded as their bytes, so it is lossless). Token bytes come from tiktoken's r50k rank table.
import { encode as gpt2Encode, decode as gpt2Decode } from 'gpt-tokenizer/encoding/r50k_base';
import r50kRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import type { Tokenizer, TokenizerInfo } from './types.js';
import { DataError } from '../util/errors.js';
import { stableHash } from './hash.js';

export const GPT2_VOCAB_SIZE = 50257;
export const GPT2_EOT_ID = 50256;
/** Compact layout: ids 0..255 = the byte tokens in byte order, 256 = end-of-text, 257.. = kept tokens by rank. */
export const COMPACT_EOT_ID = 256;
export const COMPACT_FIRST_KEPT_ID = 257;

// '<|endoftext|>' inside a story is ordinary text (its characters), never the special token.
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };

let tokenBytesTable: Uint8Array[] | null = null;
let byteTokenIds: Int32Array | null = null;

/** The bytes each GPT-2 token stands for (index = GPT-2 id; end-of-text has none). */
export function gpt2TokenBytes(): readonly Uint8Array[] {
  if (!tokenBytesTable) {
    // r50k ranks are GPT-2's ids; each entry is the token's raw bytes (a string when they are valid UTF-8),
    // i.e. GPT-2's encoder.json keys already mapped back through bytes_to_unicode.
    const utf8 = new TextEncoder();
    const ranks = r50kRanks as readonly (string | readonly number[])[];
    tokenBytesTable = ranks.map((r) => (typeof r === 'string' ? utf8.encode(r) : Uint8Array.from(r)));
    tokenBytesTable[GPT2_EOT_ID] = new Uint8Array(0);
  }
  return tokenBytesTable;
}

/** GPT-2 id of the single-byte token of each byte value 0..255 (NOT the identity: GPT-2 orders them by bytes_to_unicode). */
export function gpt2ByteTokenIds(): Int32Array {
  if (!byteTokenIds) {
    const ids = new Int32Array(256).fill(-1);
    gpt2TokenBytes().forEach((bytes, id) => {
      if (bytes.length === 1) ids[bytes[0]] = id;
    });
    if (ids.some((id) => id < 0)) throw new Error('gpt-tokenizer r50k table lacks a single-byte token');
    byteTokenIds = ids;
  }
  return byteTokenIds;
}

const GPT2_IDENTITY = `gpt2-${stableHash({ kind: 'gpt2', encoding: 'r50k_base', vocabSize: GPT2_VOCAB_SIZE })}`;

export function gpt2Info(): TokenizerInfo {
  return { kind: 'gpt2', vocabSize: GPT2_VOCAB_SIZE, eotId: GPT2_EOT_ID, identity: GPT2_IDENTITY };
}

/** GPT-2 BPE, r50k_base, vocabulary 50257, end-of-text 50256. */
export function gpt2Tokenizer(): Tokenizer {
  return {
    info: gpt2Info(),
    encode: (text) => gpt2Encode(text, ENCODE_OPTIONS),
    decode: (ids) => gpt2Decode(Array.from(ids, (id) => (id >= 0 && id < GPT2_VOCAB_SIZE ? id : REPLACEMENT_ID))),
  };
}

// GPT-2 id of the text '�' (decoding an id outside the vocabulary, e.g. a padding row, gives this).
const REPLACEMENT_ID = gpt2Encode('\uFFFD')[0];

/** Counts GPT-2 token frequencies (the compact vocabulary's counting pass); a TokenSink. */
export class TokenCounter {
  readonly counts = new Float64Array(GPT2_VOCAB_SIZE);
  append(ids: ArrayLike<number>): void {
    const c = this.counts;
    for (let i = 0; i < ids.length; i++) c[ids[i]]++;
  }
  /** Adds another counter's counts (e.g. one per worker). */
  merge(other: TokenCounter | Float64Array): void {
    const o = other instanceof TokenCounter ? other.counts : other;
    for (let i = 0; i < GPT2_VOCAB_SIZE; i++) this.counts[i] += o[i];
  }
}

export function compactIdentity(gpt2Ids: readonly number[]): string {
  return `compact-${stableHash({ kind: 'compact', encoding: 'r50k_base', gpt2Ids })}`;
}

/**
 * The compact vocabulary from GPT-2 token counts: bytes, end-of-text, then the `keep` most frequent other
 * tokens with a non-zero count (ties broken by the smaller GPT-2 id, so the result is deterministic).
 */
export function buildCompactInfo(counts: ArrayLike<number>, keep: number): TokenizerInfo {
  const byteIds = gpt2ByteTokenIds();
  const isFixed = new Uint8Array(GPT2_VOCAB_SIZE);
  for (const id of byteIds) isFixed[id] = 1;
  isFixed[GPT2_EOT_ID] = 1;
  const candidates: number[] = [];
  for (let id = 0; id < GPT2_VOCAB_SIZE; id++) if (!isFixed[id] && counts[id] > 0) candidates.push(id);
  candidates.sort((a, b) => counts[b] - counts[a] || a - b);
  const gpt2Ids = [...byteIds, GPT2_EOT_ID, ...candidates.slice(0, keep)];
  return { kind: 'compact', vocabSize: gpt2Ids.length, eotId: COMPACT_EOT_ID, identity: compactIdentity(gpt2Ids), gpt2Ids };
}

/** Maps GPT-2 ids to compact ids (tokens outside the kept set become their byte tokens). */
export class CompactMapper {
  private toCompact = new Int32Array(GPT2_VOCAB_SIZE).fill(-1);
  constructor(readonly gpt2Ids: readonly number[]) {
    gpt2Ids.forEach((gpt2Id, compactId) => (this.toCompact[gpt2Id] = compactId));
  }
  /** Appends the compact ids of `ids` to `out` and returns it. */
  map(ids: ArrayLike<number>, out: number[] = []): number[] {
    const table = this.toCompact, bytes = gpt2TokenBytes();
    for (let i = 0; i < ids.length; i++) {
      const c = table[ids[i]];
      if (c >= 0) out.push(c);
      else for (const b of bytes[ids[i]]) out.push(b); // byte token of byte b has compact id b
    }
    return out;
  }
}

/** The compact tokenizer described by `info` (checked: its identity must match its mapping). */
export function compactTokenizer(info: TokenizerInfo): Tokenizer {
  checkCompactInfo(info);
  const gpt2Ids = info.gpt2Ids!;
  const mapper = new CompactMapper(gpt2Ids);
  const replacement = mapper.map([REPLACEMENT_ID]);
  return {
    info,
    encode: (text) => mapper.map(gpt2Encode(text, ENCODE_OPTIONS)),
    decode: (ids) => {
      const g: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (id >= 0 && id < gpt2Ids.length) g.push(gpt2Ids[id]);
        else for (const r of replacement) g.push(gpt2Ids[r]);
      }
      return gpt2Decode(g);
    },
  };
}

function checkCompactInfo(info: TokenizerInfo): void {
  const ids = info.gpt2Ids;
  const bad = (why: string) =>
    new DataError(`compact tokenizer mapping ${info.identity} is invalid: ${why}`,
      'delete the prepared data folder (or use the checkpoint it was saved with) and prepare the data again');
  if (!ids || ids.length !== info.vocabSize) throw bad(`gpt2Ids has ${ids?.length ?? 0} entries, vocabSize is ${info.vocabSize}`);
  if (info.eotId !== COMPACT_EOT_ID || ids[COMPACT_EOT_ID] !== GPT2_EOT_ID) throw bad('end-of-text is not compact id 256');
  const byteIds = gpt2ByteTokenIds();
  for (let b = 0; b < 256; b++) if (ids[b] !== byteIds[b]) throw bad(`compact id ${b} is not the byte token of byte ${b}`);
  if (ids.some((id) => !Number.isInteger(id) || id < 0 || id >= GPT2_VOCAB_SIZE)) throw bad('a GPT-2 id is out of range');
  if (new Set(ids).size !== ids.length) throw bad('a GPT-2 id appears twice');
  if (compactIdentity(ids) !== info.identity) throw bad(`its identity does not match its mapping (${compactIdentity(ids)})`);
}

/** The tokenizer a TokenizerInfo describes (from prepared data's meta.json or a checkpoint). */
export function loadTokenizer(info: TokenizerInfo): Tokenizer {
  if (info.kind === 'gpt2') {
    if (info.identity !== GPT2_IDENTITY || info.vocabSize !== GPT2_VOCAB_SIZE)
      throw new DataError(`unknown GPT-2 tokenizer identity ${info.identity} (this version uses ${GPT2_IDENTITY})`,
        'prepare the data again with this version of nanometa');
    return gpt2Tokenizer();
  }
  if (info.kind === 'compact') return compactTokenizer(info);
  throw new DataError(`unknown tokenizer kind ${JSON.stringify((info as { kind: unknown }).kind)}`, 'allowed: gpt2, compact');
}

/** The bytes of token ids in `info`'s id space (for streaming decode; end-of-text gives no bytes). */
export function tokenBytes(info: TokenizerInfo, ids: ArrayLike<number>): Uint8Array {
  const table = gpt2TokenBytes(), parts: Uint8Array[] = [];
  for (let i = 0; i < ids.length; i++) {
    const gpt2Id = info.kind === 'compact' ? info.gpt2Ids![ids[i]] : ids[i];
    if (gpt2Id !== undefined && gpt2Id >= 0 && gpt2Id < GPT2_VOCAB_SIZE) parts.push(table[gpt2Id]);
  }
  return Buffer.concat(parts);
}

/** Decodes tokens one at a time for streaming output; multi-byte characters split over tokens come out whole. */
export function createStreamDecoder(info: TokenizerInfo): { push(id: number): string; flush(): string } {
  const decoder = new TextDecoder('utf-8');
  return {
    push: (id) => decoder.decode(tokenBytes(info, [id]), { stream: true }),
    flush: () => decoder.decode(),
  };
}
