// The safetensors format (huggingface/safetensors): u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, __metadata__}, then the raw little-endian tensor bytes.
// Loadable by Python's `safetensors.torch.load_file`. We write F32 and I32 only.
import { readFileSync } from 'node:fs';
import { CheckpointError } from '../util/errors.js';

export interface NamedArray {
  shape: number[];
  data: Float32Array | Int32Array;
}

export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    header[name] = {
      dtype: t.data instanceof Int32Array ? 'I32' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function readSafetensors(path: string): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  return parseSafetensors(path, readFileBytes(path));
}

export function readFileBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Parses the bytes of a safetensors file read from `path` (named in errors). */
export function parseSafetensors(
  path: string,
  buf: Buffer,
): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  const bad = (why: string) => new CheckpointError(`${path} is not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw bad('shorter than its 8-byte header length');
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw bad(`header length ${headerLen} exceeds the file size ${buf.length}`);
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch {
    throw bad('its JSON header does not parse');
  }
  const base = 8 + headerLen;
  const entries = checkLayout(header, buf.length - base, bad);
  const tensors = new Map<string, NamedArray>();
  for (const { name, dtype, shape, start, end } of entries) {
    if (base + end > buf.length) throw bad(`tensor ${name} runs past the end of the file (truncated?)`);
    const bytes = new Uint8Array(buf.subarray(base + start, base + end)); // copy: aligned, owned
    tensors.set(name, { shape, data: dtype === 'F32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer) });
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}

interface Entry {
  name: string;
  dtype: 'F32' | 'I32';
  shape: number[];
  start: number;
  end: number;
}

/**
 * The header's tensors, checked as the safetensors spec requires: known dtype, integer shape, offsets that are
 * 4-byte aligned, cover exactly shape x 4 bytes, and tile the data area without gaps or overlaps.
 */
function checkLayout(header: Record<string, unknown>, dataBytes: number, bad: (why: string) => Error): Entry[] {
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (raw ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32' && dtype !== 'I32')
      throw bad(`tensor ${name} has dtype ${JSON.stringify(dtype)}; nanometa reads F32 and I32`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw bad(`tensor ${name} has shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0))
      throw bad(`tensor ${name} has data_offsets ${JSON.stringify(offsets)}`);
    const [start, end] = offsets as [number, number];
    if (start % 4 !== 0 || end % 4 !== 0)
      throw bad(`tensor ${name} has data_offsets [${start}, ${end}], not multiples of 4 (shifted?)`);
    const want = 4 * shape.reduce((a: number, b: number) => a * b, 1);
    if (end - start !== want)
      throw bad(
        `tensor ${name} of shape ${JSON.stringify(shape)} needs ${want} bytes but data_offsets [${start}, ${end}] hold ${end - start}`,
      );
    entries.push({ name, dtype, shape, start, end });
  }
  let at = 0;
  for (const e of [...entries].sort((a, b) => a.start - b.start)) {
    if (e.start !== at)
      throw bad(
        e.start < at
          ? `tensor ${e.name} overlaps the tensor before it (data_offsets start ${e.start} < ${at})`
          : `a gap of ${e.start - at} bytes before tensor ${e.name}`,
      );
    at = e.end;
  }
  if (at > dataBytes) throw bad(`the tensors need ${at} data bytes but the file holds ${dataBytes} (truncated?)`);
  return entries;
}
