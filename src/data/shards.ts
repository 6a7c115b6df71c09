// Token shard files: a 64-byte header (magic, format version, dtype, vocab size, token count, tokenizer
// identity) then the tokens, little-endian uint16 or uint32. Written by a streaming writer (temp name,
// fsync, rename), read whole into a typed array; several shards read as one TokenStream (like llm.c's .bin).
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TokenStream } from './types.js';
import { DataError } from '../util/errors.js';

export const SHARD_MAGIC = 'NMTOKENS';
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 64;
const IDENTITY_OFFSET = 32;
const IDENTITY_MAX = SHARD_HEADER_BYTES - IDENTITY_OFFSET;
/** Default advice when a shard is refused; callers pass the exact command where they know it. */
const DEFAULT_REGENERATE = 'delete the file (or its prepared-data folder) and run the command that prepared it again';

export interface ShardHeader {
  version: number;
  /** 2 (uint16) or 4 (uint32). */
  dtypeBytes: 2 | 4;
  vocabSize: number;
  tokenCount: number;
  /** TokenizerInfo.identity of the tokenizer that made the tokens. */
  identity: string;
}

/** uint16 when every id fits, else uint32. */
export function dtypeBytesFor(vocabSize: number): 2 | 4 {
  return vocabSize <= 65536 ? 2 : 4;
}

function encodeHeader(h: ShardHeader): Buffer {
  const buf = Buffer.alloc(SHARD_HEADER_BYTES);
  buf.write(SHARD_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(h.version, 8);
  buf.writeUInt32LE(SHARD_HEADER_BYTES, 12);
  buf.writeUInt32LE(h.dtypeBytes, 16);
  buf.writeUInt32LE(h.vocabSize, 20);
  buf.writeBigUInt64LE(BigInt(h.tokenCount), 24);
  buf.write(h.identity, IDENTITY_OFFSET, 'latin1');
  return buf;
}

/**
 * Streams tokens into a shard: append() chunks of any size, finish() writes the header, fsyncs and renames
 * the temp file to `path`; abort() removes the temp file. Until finish() nothing exists at `path`.
 */
export class ShardWriter {
  readonly tempPath: string;
  private fd: number | null;
  private view: Uint16Array | Uint32Array; // write buffer; tokens are stored little-endian, as on x86 and ARM
  private used = 0;
  private count = 0;
  private readonly dtypeBytes: 2 | 4;

  constructor(readonly path: string, readonly vocabSize: number, readonly identity: string, bufferTokens = 1 << 18) {
    if (identity.length > IDENTITY_MAX || !/^[\x20-\x7e]*$/.test(identity))
      throw new DataError(`tokenizer identity ${JSON.stringify(identity)} must be at most ${IDENTITY_MAX} printable ASCII characters`);
    this.dtypeBytes = dtypeBytesFor(vocabSize);
    this.view = this.dtypeBytes === 2 ? new Uint16Array(bufferTokens) : new Uint32Array(bufferTokens);
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
    this.fd = openSync(this.tempPath, 'w');
    writeSync(this.fd, Buffer.alloc(SHARD_HEADER_BYTES)); // placeholder, rewritten by finish()
  }

  /** Tokens written so far. */
  get tokenCount(): number {
    return this.count;
  }

  append(tokens: ArrayLike<number>): void {
    if (this.fd === null) throw new Error(`shard writer for ${this.path} is closed`);
    const view = this.view, vocab = this.vocabSize;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (!(t >= 0 && t < vocab && Number.isInteger(t)))
        throw new DataError(`token ${t} is outside the vocabulary [0, ${vocab}) while writing ${this.path}`);
      view[this.used++] = t;
      if (this.used === view.length) this.flush();
    }
    this.count += tokens.length;
  }

  private flush(): void {
    const bytes = new Uint8Array(this.view.buffer, 0, this.used * this.dtypeBytes);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd!, bytes, off, bytes.length - off);
    this.used = 0;
  }

  /** Completes the shard: header, fsync, rename to `path`. Returns the token count. */
  finish(): number {
    if (this.fd === null) throw new Error(`shard writer for ${this.path} is closed`);
    this.flush();
    const header = encodeHeader({
      version: SHARD_VERSION, dtypeBytes: this.dtypeBytes, vocabSize: this.vocabSize, tokenCount: this.count, identity: this.identity,
    });
    writeSync(this.fd, header, 0, header.length, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tempPath, this.path);
    return this.count;
  }

  /** Drops the shard: closes and removes the temp file (safe to call more than once, or after finish). */
  abort(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    rmSync(this.tempPath, { force: true });
  }
}

export interface ReadShardOptions {
  /** Refuse the shard unless it was made by this tokenizer identity. */
  identity?: string;
  /** The command that regenerates the file, for the error hint. */
  regenerate?: string;
}

/** One shard read whole into memory. */
export class ShardTokenStream implements TokenStream {
  constructor(readonly path: string, readonly header: ShardHeader, readonly tokens: Uint16Array | Uint32Array) {}
  get length(): number {
    return this.tokens.length;
  }
  read(offset: number, out: Int32Array): void {
    if (offset < 0 || offset + out.length > this.tokens.length)
      throw new RangeError(`read [${offset}, ${offset + out.length}) outside ${this.path} (${this.tokens.length} tokens)`);
    out.set(this.tokens.subarray(offset, offset + out.length));
  }
}

/** Reads and checks a shard's header only. */
export function readShardHeader(path: string, opts: ReadShardOptions = {}): ShardHeader {
  const fd = openFile(path, opts);
  try {
    return checkHeader(path, fd, opts);
  } finally {
    closeSync(fd);
  }
}

/** Reads one shard, refusing a wrong magic, version, tokenizer identity or a truncated file. */
export function readShard(path: string, opts: ReadShardOptions = {}): ShardTokenStream {
  const fd = openFile(path, opts);
  try {
    const header = checkHeader(path, fd, opts);
    const data = new ArrayBuffer(header.tokenCount * header.dtypeBytes);
    const view = new Uint8Array(data);
    let off = 0;
    while (off < view.length) {
      const n = readSync(fd, view, off, view.length - off, SHARD_HEADER_BYTES + off);
      if (n === 0) throw refuse(path, `is truncated while reading (${off} of ${view.length} token bytes)`, opts);
      off += n;
    }
    const tokens = header.dtypeBytes === 2 ? new Uint16Array(data) : new Uint32Array(data);
    return new ShardTokenStream(path, header, tokens);
  } finally {
    closeSync(fd);
  }
}

function openFile(path: string, opts: ReadShardOptions): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw refuse(path, `cannot be opened (${(err as NodeJS.ErrnoException).code ?? err})`, opts);
  }
}

function refuse(path: string, why: string, opts: ReadShardOptions): DataError {
  return new DataError(`token shard ${path} ${why}`, opts.regenerate ?? DEFAULT_REGENERATE);
}

function checkHeader(path: string, fd: number, opts: ReadShardOptions): ShardHeader {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(SHARD_HEADER_BYTES);
  const got = size >= SHARD_HEADER_BYTES ? readSync(fd, buf, 0, SHARD_HEADER_BYTES, 0) : 0;
  if (got < SHARD_HEADER_BYTES) throw refuse(path, `is truncated: ${size} bytes, shorter than its ${SHARD_HEADER_BYTES}-byte header`, opts);
  const magic = buf.toString('latin1', 0, 8);
  if (magic !== SHARD_MAGIC) throw refuse(path, `is not a nanometa token shard (magic ${JSON.stringify(magic)}, expected ${SHARD_MAGIC})`, opts);
  const version = buf.readUInt32LE(8);
  if (version !== SHARD_VERSION) throw refuse(path, `has format version ${version}; this version of nanometa reads version ${SHARD_VERSION}`, opts);
  const dtypeBytes = buf.readUInt32LE(16);
  if (dtypeBytes !== 2 && dtypeBytes !== 4) throw refuse(path, `has an invalid dtype (${dtypeBytes} bytes per token)`, opts);
  const identity = buf.toString('latin1', IDENTITY_OFFSET, SHARD_HEADER_BYTES).replace(/\0+$/, '');
  if (opts.identity !== undefined && identity !== opts.identity)
    throw refuse(path, `was made with tokenizer ${identity}, not the expected ${opts.identity}`, opts);
  const tokenCount = Number(buf.readBigUInt64LE(24));
  const expected = SHARD_HEADER_BYTES + tokenCount * dtypeBytes;
  if (size !== expected)
    throw refuse(path, `is ${size < expected ? 'truncated' : 'too long'}: ${size} bytes, its header says ${tokenCount} tokens (${expected} bytes)`, opts);
  return { version, dtypeBytes, vocabSize: buf.readUInt32LE(20), tokenCount, identity };
}

/** Several token streams (e.g. shards) read as one, in order. */
export class ConcatTokenStream implements TokenStream {
  private starts: number[] = [];
  readonly length: number;
  constructor(readonly parts: readonly TokenStream[]) {
    let total = 0;
    for (const p of parts) {
      this.starts.push(total);
      total += p.length;
    }
    this.length = total;
  }
  read(offset: number, out: Int32Array): void {
    if (offset < 0 || offset + out.length > this.length)
      throw new RangeError(`read [${offset}, ${offset + out.length}) outside a stream of ${this.length} tokens`);
    let part = this.partAt(offset), done = 0;
    while (done < out.length) {
      const p = this.parts[part], local = offset + done - this.starts[part];
      const n = Math.min(p.length - local, out.length - done);
      if (n > 0) p.read(local, out.subarray(done, done + n));
      done += Math.max(n, 0);
      part++;
    }
  }
  private partAt(offset: number): number {
    let lo = 0, hi = this.parts.length - 1; // last part whose start <= offset
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Reads one or more shards (same tokenizer) as one TokenStream. */
export function readShards(paths: readonly string[], opts: ReadShardOptions = {}): TokenStream {
  if (paths.length === 0) throw new DataError('no token shards to read', opts.regenerate ?? DEFAULT_REGENERATE);
  const shards = paths.map((p) => readShard(p, opts));
  const identity = shards[0].header.identity;
  const other = shards.find((s) => s.header.identity !== identity);
  if (other) throw refuse(other.path, `was made with tokenizer ${other.header.identity}, but ${shards[0].path} with ${identity}`, opts);
  return shards.length === 1 ? shards[0] : new ConcatTokenStream(shards);
}

/** Streams a shard's tokens in chunks (for passes over shards too big to hold), after the same checks as readShard. */
export function forEachShardChunk(path: string, fn: (tokens: Uint16Array | Uint32Array) => void | boolean,
  opts: ReadShardOptions & { chunkTokens?: number } = {}): ShardHeader {
  const fd = openFile(path, opts);
  try {
    const header = checkHeader(path, fd, opts);
    const chunk = new ArrayBuffer((opts.chunkTokens ?? 1 << 20) * header.dtypeBytes);
    for (let done = 0; done < header.tokenCount;) {
      const want = Math.min(chunk.byteLength, (header.tokenCount - done) * header.dtypeBytes);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, new Uint8Array(chunk, got, want - got), 0, want - got, SHARD_HEADER_BYTES + done * header.dtypeBytes + got);
        if (n === 0) throw refuse(path, 'is truncated while reading', opts);
        got += n;
      }
      const count = want / header.dtypeBytes;
      const tokens = header.dtypeBytes === 2 ? new Uint16Array(chunk, 0, count) : new Uint32Array(chunk, 0, count);
      done += count;
      if (fn(tokens) === false) break; // false = stop early
    }
    return header;
  } finally {
    closeSync(fd);
  }
}
